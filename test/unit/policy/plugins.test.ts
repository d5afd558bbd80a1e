import path from 'node:path';
import { parsePolicy } from '../../../src/policy/declarative/policy-schema';
import { declarativePolicy, loadPluginModule, loadPolicyFromSettings } from '../../../src/policy/load-policy';
import type { PluginFailMode } from '../../../src/policy/plugins';
import { context } from '../../support/policy-context';

const conditionsPlugin = path.resolve(__dirname, '../../fixtures/policy/plugin.ts');
const codePlugin = path.resolve(__dirname, '../../policy/fixtures/code-policy.ts');
const unloadable = path.resolve(__dirname, '../../policy/fixtures/unloadable-plugin.ts');

const policyJson = (rules: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name: 'p', rules, default: { release: {} }, ...extra });

/** A policy whose first rule asks plug-in condition `name`, then a rule that denies everything. */
function file(when: unknown) {
  const parsed = parsePolicy(
    JSON.parse(
      policyJson([
        { name: 'plugin rule', when, then: { deny: { reason: 'plug-in said so' } } },
        { name: 'next rule', when: {}, then: { hold: { expiresInMinutes: 5, onExpiry: 'release' } } },
      ]),
    ),
  );
  if (!parsed.ok) throw new Error(parsed.errors.join());
  return parsed.policy;
}

describe('plug-in conditions', () => {
  const { conditions } = loadPluginModule(conditionsPlugin);
  const { conditions: more } = loadPluginModule(codePlugin);
  const all = { ...conditions, ...more };

  it('a named condition from the module is usable in rules', async () => {
    const policy = declarativePolicy(file({ plugin: 'isWeekendWorker' }), {
      conditions: all,
      timeoutMs: 1000,
      failMode: 'fail-safe',
    });
    expect((await policy.decide(context({ upn: 'weekend.sam@contoso.example' }))).action).toBe('deny');
    expect((await policy.decide(context({ upn: 'adele@contoso.example' }))).action).toBe('hold');
  });

  it('fail-safe: a throwing, slow or non-boolean condition fails the evaluation (the processor applies its fail-safe)', async () => {
    const run = (name: string, timeoutMs = 1000) =>
      declarativePolicy(file({ plugin: name }), { conditions: all, timeoutMs, failMode: 'fail-safe' }).decide(
        context(),
      );
    await expect(run('broken')).rejects.toThrow('Plug-in condition "broken" failed: plug-in bug');
    await expect(run('slow', 50)).rejects.toThrow(/did not finish within 50 ms/);
    await expect(run('hangs', 20)).rejects.toThrow(/did not finish within 20 ms/);
    await expect(run('notBoolean')).rejects.toThrow(/answered string, not a boolean/);
  });

  const modes: [PluginFailMode, object][] = [
    ['skip-rule', { action: 'hold', rule: 'next rule', expiresInMinutes: 5, onExpiry: 'release' }],
    ['release', { action: 'release', rule: 'plugin rule (plug-in broken failed)' }],
    [
      'deny',
      {
        action: 'deny',
        rule: 'plugin rule (plug-in broken failed)',
        reason: expect.stringMatching(/could not be evaluated/),
      },
    ],
  ];
  it.each(modes)('fail mode %s: decides as configured, and reports it', async (failMode, expected) => {
    const warnings: string[] = [];
    const policy = declarativePolicy(file({ plugin: 'broken' }), {
      conditions: all,
      timeoutMs: 1000,
      failMode,
      warn: (m) => warnings.push(m),
    });
    expect(await policy.decide(context())).toEqual(expected);
    expect(warnings).toEqual([
      `Plug-in condition "broken" failed: plug-in bug in rule 1 "plugin rule"; plug-in fail mode ${failMode}`,
    ]);
  });

  it('skip-rule skips the whole rule, even when the plug-in sits under "not"', async () => {
    const policy = declarativePolicy(file({ not: { plugin: 'broken' } }), {
      conditions: all,
      timeoutMs: 1000,
      failMode: 'skip-rule',
    });
    const evaluation = await policy.evaluate(context());
    expect(evaluation.decision).toMatchObject({ action: 'hold', rule: 'next rule' });
    expect(evaluation.trace[0]).toMatchObject({ matched: false, skipped: expect.stringMatching(/rule skipped/) });
  });

  it('a plug-in is only called when the cheaper conditions hold', async () => {
    const calls: string[] = [];
    const policy = declarativePolicy(file({ copies: { min: 5 }, plugin: 'count' }), {
      conditions: { count: (ctx) => (calls.push(ctx.job.id), true) },
      timeoutMs: 1000,
      failMode: 'fail-safe',
    });
    expect((await policy.decide(context({ copies: 1 }))).action).toBe('hold');
    expect(calls).toEqual([]);
    expect((await policy.decide(context({ copies: 5 }))).action).toBe('deny');
    expect(calls).toEqual(['1001']);
  });
});

describe('plug-in modules from the settings', () => {
  const base = { RELEASE_GATE_POLICY_TIMEOUT_MS: 100, RELEASE_GATE_POLICY_RELOAD_SECONDS: 60 };

  it('a module exporting a policy decides when no declarative policy is set', async () => {
    const policy = loadPolicyFromSettings({ ...base, RELEASE_GATE_POLICY_MODULE: codePlugin });
    expect(await policy.decide(context())).toEqual({ action: 'deny', rule: 'code rule', reason: 'Denied by code.' });
  });

  it.each<[PluginFailMode, string, object | RegExp]>([
    ['fail-safe', 'throw@contoso.example', /code policy bug/],
    ['fail-safe', 'slow@contoso.example', /did not finish within 100 ms/],
    ['skip-rule', 'throw@contoso.example', /code policy bug/],
    ['release', 'slow@contoso.example', { action: 'release', rule: 'fixture code policy (plug-in failed)' }],
    ['deny', 'throw@contoso.example', { action: 'deny', rule: 'fixture code policy (plug-in failed)' }],
  ])('fail mode %s, %s', async (failMode, upn, expected) => {
    const warnings: string[] = [];
    const policy = loadPolicyFromSettings(
      { ...base, RELEASE_GATE_POLICY_MODULE: codePlugin, RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE: failMode },
      (level, message) => warnings.push(`${level}: ${message}`),
    );
    if (expected instanceof RegExp) await expect(policy.decide(context({ upn }))).rejects.toThrow(expected);
    else {
      expect(await policy.decide(context({ upn }))).toMatchObject(expected);
      expect(warnings).toEqual([expect.stringMatching(/^warn: Policy fixture code policy failed/)]);
    }
  });

  it('shadow mode releases even when the code policy fails', async () => {
    const policy = loadPolicyFromSettings({
      ...base,
      RELEASE_GATE_POLICY_MODULE: codePlugin,
      RELEASE_GATE_POLICY_SHADOW_MODE: 'true',
    });
    expect(await policy.decide(context({ upn: 'throw@contoso.example' }))).toMatchObject({
      action: 'release',
      rule: 'shadow mode: policy error',
    });
    expect(await policy.decide(context())).toMatchObject({
      action: 'release',
      shadowOf: { action: 'deny', rule: 'code rule' },
    });
  });

  it('a module that fails to load is reported; only decisions that need it fail, the processor keeps running', async () => {
    const logs: string[] = [];
    const log = (level: string, message: string, event: string) => logs.push(`${level} ${event}: ${message}`);
    const codeOnly = loadPolicyFromSettings({ ...base, RELEASE_GATE_POLICY_MODULE: unloadable }, log);
    await expect(codeOnly.decide(context())).rejects.toThrow(/could not be loaded: plug-in module cannot start/);
    expect(logs).toEqual([
      expect.stringMatching(/^error policy\.source-problem: The policy plug-in module .* could not be loaded/),
    ]);

    const withoutPlugins = loadPolicyFromSettings(
      { ...base, RELEASE_GATE_POLICY_MODULE: unloadable, RELEASE_GATE_POLICY_JSON: policyJson([]) },
      log,
    );
    expect(await withoutPlugins.decide(context())).toEqual({ action: 'release', rule: 'default' });

    const usingPlugins = loadPolicyFromSettings(
      {
        ...base,
        RELEASE_GATE_POLICY_MODULE: unloadable,
        RELEASE_GATE_POLICY_JSON: policyJson([{ name: 'vip', when: { plugin: 'isVip' }, then: { release: {} } }]),
      },
      log,
    );
    await expect(usingPlugins.decide(context())).rejects.toThrow(/No valid policy/);
    expect(logs.at(-1)).toMatch(
      /rule 1 "vip": when\.plugin: "isVip" is not a condition the plug-in exports \(The policy plug-in module/,
    );
  });

  it('a plug-in condition times out before the whole policy does, so its fail mode applies', async () => {
    const policy = loadPolicyFromSettings({
      ...base,
      RELEASE_GATE_POLICY_MODULE: codePlugin,
      RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE: 'skip-rule',
      RELEASE_GATE_POLICY_JSON: policyJson([
        { name: 'hangs', when: { plugin: 'hangs' }, then: { deny: { reason: 'x' } } },
      ]),
    });
    // Had the whole policy timed out first, decide would reject instead of skipping the rule.
    expect(await policy.decide(context())).toEqual({ action: 'release', rule: 'default' });
  });
});

import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileOrigin, PolicySource } from '../../../src/policy/declarative/policy-source';
import { parsePolicy } from '../../../src/policy/declarative/policy-schema';
import { declarativePolicy, loadPluginModule, policyFromSettings } from '../../../src/policy/load-policy';
import { context } from '../../support/policy-context';

const plugin = path.resolve(__dirname, '../../fixtures/policy/plugin.ts');
const policyJson = (rules: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name: 'p', rules, default: { release: {} }, ...extra });

describe('plug-in conditions', () => {
  const file = (name: string) => {
    const parsed = parsePolicy(
      JSON.parse(
        policyJson([{ name: 'plugin rule', when: { plugin: name }, then: { deny: { reason: 'plug-in said so' } } }]),
      ),
    );
    if (!parsed.ok) throw new Error(parsed.errors.join());
    return parsed.policy;
  };
  const { conditions } = loadPluginModule(plugin);

  it('a named condition from the module is usable in rules', async () => {
    const policy = declarativePolicy(file('isWeekendWorker'), { conditions, timeoutMs: 1000, failMode: 'fail-safe' });
    expect((await policy.decide(context({ upn: 'weekend.sam@contoso.example' }))).action).toBe('deny');
    expect((await policy.decide(context({ upn: 'adele@contoso.example' }))).action).toBe('release');
  });

  it('fail-safe mode: a throwing or slow condition fails the evaluation (the processor applies the fail-safe)', async () => {
    const broken = declarativePolicy(file('broken'), { conditions, timeoutMs: 1000, failMode: 'fail-safe' });
    await expect(broken.decide(context())).rejects.toThrow('plug-in bug');
    const slow = declarativePolicy(file('slow'), { conditions, timeoutMs: 50, failMode: 'fail-safe' });
    await expect(slow.decide(context())).rejects.toThrow(/did not finish within 50 ms/);
  });

  it('no-match mode: a failing condition counts as false, and is reported', async () => {
    const warnings: string[] = [];
    const policy = declarativePolicy(file('broken'), {
      conditions,
      timeoutMs: 1000,
      failMode: 'no-match',
      warn: (m) => warnings.push(m),
    });
    expect((await policy.decide(context())).action).toBe('release');
    expect(warnings).toEqual(['plug-in bug; counted as no match']);
  });

  it('an unknown plug-in condition is an error, not a silent no-match', async () => {
    const policy = declarativePolicy(file('missing'), { conditions, timeoutMs: 1000, failMode: 'no-match' });
    await expect(policy.decide(context())).rejects.toThrow(/plug-in condition "missing"/);
  });
});

describe('policy sources', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'policy-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('picks up a changed file without a restart, and keeps the last good one when the new one is invalid', async () => {
    const file = path.join(dir, 'policy.json');
    writeFileSync(file, policyJson([{ name: 'v1', when: {}, then: { deny: { reason: 'v1' } } }]));
    let now = 0;
    const errors: string[] = [];
    const source = new PolicySource(
      fileOrigin(file),
      60,
      (m) => errors.push(m),
      () => now,
    );
    expect((await source.current()).rules[0]!.name).toBe('v1');

    writeFileSync(file, policyJson([{ name: 'v2', when: {}, then: { deny: { reason: 'v2' } } }]));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect((await source.current()).rules[0]!.name).toBe('v1'); // not re-read before the reload interval
    now += 61_000;
    expect((await source.current()).rules[0]!.name).toBe('v2');

    writeFileSync(file, '{ "name": "broken", "rules": [ ');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    now += 61_000;
    expect((await source.current()).rules[0]!.name).toBe('v2');
    expect(errors).toEqual([expect.stringMatching(/is invalid; keeping the last valid one: not valid JSON/)]);
  });

  it('with no valid policy at all, deciding fails (so the fail-safe decides) rather than guessing', async () => {
    const file = path.join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ name: 'no default', rules: [] }));
    const errors: string[] = [];
    const source = new PolicySource(fileOrigin(file), 60, (m) => errors.push(m));
    await expect(source.current()).rejects.toThrow(/No valid policy/);
    expect(errors[0]).toMatch(/default: /);
  });

  it('policyFromSettings: inline JSON, shadow-mode override, plug-in conditions, time limit', async () => {
    const settings = {
      RELEASE_GATE_POLICY_JSON: policyJson([
        { name: 'weekend', when: { plugin: 'isWeekendWorker' }, then: { deny: { reason: 'not today' } } },
      ]),
      RELEASE_GATE_POLICY_MODULE: plugin,
      RELEASE_GATE_POLICY_TIMEOUT_MS: 1000,
      RELEASE_GATE_POLICY_RELOAD_SECONDS: 60,
      RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE: 'fail-safe' as const,
    };
    expect(await policyFromSettings(settings).decide(context({ upn: 'weekend.x@contoso.example' }))).toMatchObject({
      action: 'deny',
      rule: 'weekend',
    });
    const shadow = policyFromSettings({ ...settings, RELEASE_GATE_POLICY_SHADOW_MODE: 'true' });
    expect(await shadow.decide(context({ upn: 'weekend.x@contoso.example' }))).toMatchObject({
      action: 'release',
      shadowOf: { action: 'deny' },
    });
    expect(
      await policyFromSettings({
        RELEASE_GATE_POLICY_TIMEOUT_MS: 1000,
        RELEASE_GATE_POLICY_RELOAD_SECONDS: 60,
        RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE: 'fail-safe',
      }).decide(context()),
    ).toEqual({
      action: 'release',
      rule: 'default: release everything',
    });
  });
});

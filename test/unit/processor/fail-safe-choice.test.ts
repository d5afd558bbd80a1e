import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { parseFailSafePrinters, type FailSafePrinters } from '../../../src/config/fail-safe-printers';
import { parseSettings } from '../../../src/config/load-settings';
import { parsePolicy, type PolicyFile } from '../../../src/policy/declarative/policy-schema';
import {
  printersPolicyStops,
  wildcardMatch,
  type PrinterFacts,
} from '../../../src/policy/declarative/protected-printers';
import { loadPolicyFromSettings } from '../../../src/policy/load-policy';
import { chooseFailSafe } from '../../../src/processor/fail-safe-choice';

const HR = '9f8e7d6c-0000-4000-8000-000000000004';
const LIBRARY = '9f8e7d6c-0000-4000-8000-000000000003';
const officeJson = readFileSync(path.resolve(__dirname, '../../../policies/examples/office/policy.json'), 'utf8');
const policyOf = (json: unknown): PolicyFile => {
  const parsed = parsePolicy(json);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.policy;
};
const map = (json: Record<string, string>): FailSafePrinters => {
  const parsed = parseFailSafePrinters(JSON.stringify(json));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.printers;
};

function printers(known: Record<string, Partial<PrinterFacts>>) {
  const reads: string[] = [];
  return {
    reads,
    reader: (id: string, failure?: Error) => async (): Promise<PrinterFacts> => {
      reads.push(id);
      if (failure) throw failure;
      return { id, ...known[id] };
    },
  };
}
const graphError = (status: number) => new GraphError(status, `status ${status}`);

describe('RELEASE_GATE_FAIL_SAFE_PRINTERS', () => {
  it('reads printer ids and display-name patterns, in order', () => {
    const parsed = parseFailSafePrinters(JSON.stringify({ [HR.toUpperCase()]: 'deny', 'Library*': 'release' }));
    expect(parsed).toEqual({
      ok: true,
      printers: { ids: new Map([[HR, 'deny']]), names: [{ pattern: 'Library*', action: 'release' }] },
    });
    expect(parseFailSafePrinters(undefined)).toMatchObject({ ok: true, printers: { names: [] } });
  });

  it('names every bad entry and says what is expected', () => {
    expect(parseFailSafePrinters('{nope')).toMatchObject({
      ok: false,
      errors: [expect.stringContaining('not valid JSON')],
    });
    expect(parseFailSafePrinters('["deny"]')).toMatchObject({
      ok: false,
      errors: [expect.stringContaining('JSON object')],
    });
    const bad = parseFailSafePrinters(JSON.stringify({ 'HR *': 'block', '*': 'deny', [LIBRARY]: true }));
    expect(bad).toEqual({
      ok: false,
      errors: [
        '"HR *": expected "release" or "deny", got "block"',
        expect.stringContaining('"*": expected a printer id or a display-name pattern'),
        `"${LIBRARY}": expected "release" or "deny", got true`,
      ],
    });
  });

  it('is checked with the other settings, the error naming the setting', () => {
    const base = {
      RELEASE_GATE_TENANT_ID: '00000000-0000-4000-8000-000000000001',
      RELEASE_GATE_APP_CLIENT_ID: '00000000-0000-4000-8000-0000000000a1',
      RELEASE_GATE_SECRET_SOURCE: 'settings',
      RELEASE_GATE_CLIENT_STATE: 'x',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    };
    expect(() => parseSettings({ ...base, RELEASE_GATE_FAIL_SAFE_PRINTERS: '{"HR *":"maybe"}' })).toThrow(
      'RELEASE_GATE_FAIL_SAFE_PRINTERS "HR *": expected "release" or "deny", got "maybe"',
    );
    expect(parseSettings({ ...base, RELEASE_GATE_FAIL_SAFE_PRINTERS: '{"HR *":"deny"}' })).toMatchObject({
      RELEASE_GATE_FAIL_SAFE_PRINTERS: '{"HR *":"deny"}',
    });
  });
});

describe('the printers a policy stops jobs on', () => {
  it('the office policy: the HR printers it holds on (by name); not the redirected floor or the rest', () => {
    expect(printersPolicyStops(policyOf(JSON.parse(officeJson)))).toEqual([
      { rule: 'confidential printers hold jobs', names: ['HR *'] },
    ]);
  });

  it('deny rules count, nested conditions count, `not` and a default hold or deny mean every printer', () => {
    const file = policyOf({
      name: 't',
      rules: [
        {
          name: 'a',
          when: { any: [{ printers: { ids: [LIBRARY] } }, { location: { floor: ['3'] } }] },
          then: { deny: { reason: 'no' } },
        },
        {
          name: 'b',
          when: { not: { printers: { names: ['Public*'] } } },
          then: { hold: { expiresInMinutes: 5, onExpiry: 'deny' } },
        },
        { name: 'c', when: { printers: { names: ['Lobby'] } }, then: { release: {} } },
      ],
      default: { hold: { expiresInMinutes: 5, onExpiry: 'release' } },
    });
    expect(printersPolicyStops(file)).toEqual([
      { rule: 'a', ids: [LIBRARY] },
      { rule: 'a', location: { floor: ['3'] } },
      { rule: 'b', every: true },
      { rule: 'default', every: true },
    ]);
  });

  it('wildcards match as the policy does: * anywhere, ignoring case, everything else literal', () => {
    expect(wildcardMatch('HR *', 'hr Floor 4')).toBe(true);
    expect(wildcardMatch('HR *', 'HRX')).toBe(false);
    expect(wildcardMatch('*lib*ry', 'School Library')).toBe(true);
    expect(wildcardMatch('a*a', 'a')).toBe(false);
    expect(wildcardMatch('a.c', 'abc')).toBe(false);
    expect(wildcardMatch('x', undefined)).toBe(false);
  });
});

describe('choosing the fail-safe for a printer', () => {
  const office = loadPolicyFromSettings({ RELEASE_GATE_POLICY_JSON: officeJson });
  const graph = printers({ [HR]: { displayName: 'HR Floor 4' }, [LIBRARY]: { displayName: 'School Library' } });

  it('denies on a printer the policy holds jobs on, whatever RELEASE_GATE_FAIL_SAFE_ACTION says', async () => {
    const choice = await chooseFailSafe(HR, { failSafeAction: 'release', policy: office }, graph.reader(HR));
    expect(choice).toEqual({ action: 'deny', why: expect.stringContaining('confidential printers hold jobs') });
    expect(await chooseFailSafe(LIBRARY, { failSafeAction: 'release', policy: office }, graph.reader(LIBRARY))).toEqual(
      { action: 'release', why: 'RELEASE_GATE_FAIL_SAFE_ACTION' },
    );
  });

  it('the per-printer setting: an id first, then the first pattern, then the policy, then the global action', async () => {
    const failSafePrinters = map({ 'School *': 'deny', [HR]: 'release', '*Library': 'release' });
    const config = { failSafeAction: 'release' as const, failSafePrinters, policy: office };
    expect(await chooseFailSafe(HR, config, graph.reader(HR))).toMatchObject({ action: 'release' });
    expect(await chooseFailSafe(LIBRARY, config, graph.reader(LIBRARY))).toEqual({
      action: 'deny',
      why: 'RELEASE_GATE_FAIL_SAFE_PRINTERS pattern "School *" matches',
    });
    expect(await chooseFailSafe(LIBRARY, { failSafeAction: 'deny' }, graph.reader(LIBRARY))).toMatchObject({
      action: 'deny',
    });
  });

  it('reads the printer only when a name must be matched', async () => {
    graph.reads.length = 0;
    const byId = loadPolicyFromSettings({
      RELEASE_GATE_POLICY_JSON: JSON.stringify({
        name: 'ids',
        rules: [
          { name: 'hr', when: { printers: { ids: [HR] } }, then: { hold: { expiresInMinutes: 5, onExpiry: 'deny' } } },
        ],
        default: { release: {} },
      }),
    });
    const config = { failSafeAction: 'release' as const, failSafePrinters: map({ [LIBRARY]: 'deny' }), policy: byId };
    expect(await chooseFailSafe(HR, config, graph.reader(HR))).toMatchObject({ action: 'deny' });
    expect(await chooseFailSafe(LIBRARY, config, graph.reader(LIBRARY))).toMatchObject({ action: 'deny' });
    expect(graph.reads).toEqual([]);
  });

  it('fails closed: a policy not loaded, an unknown printer or one Graph refuses to show are denied', async () => {
    const missing = loadPolicyFromSettings({ RELEASE_GATE_POLICY_FILE: '/nonexistent/policy.json' });
    expect(
      await chooseFailSafe(LIBRARY, { failSafeAction: 'release', policy: missing }, graph.reader(LIBRARY)),
    ).toEqual({
      action: 'deny',
      why: 'the policy is not loaded, so the printers it protects are unknown',
    });
    expect(await chooseFailSafe(undefined, { failSafeAction: 'release' }, graph.reader(LIBRARY))).toMatchObject({
      action: 'deny',
    });
    const refused = graph.reader(LIBRARY, graphError(403));
    expect(await chooseFailSafe(LIBRARY, { failSafeAction: 'release', policy: office }, refused)).toEqual({
      action: 'deny',
      why: `printer ${LIBRARY} could not be read`,
    });
  });

  it('a printer read that fails transiently is thrown, to be retried, never turned into a choice', async () => {
    const throttled = graph.reader(LIBRARY, graphError(429));
    await expect(chooseFailSafe(LIBRARY, { failSafeAction: 'release', policy: office }, throttled)).rejects.toThrow(
      'status 429',
    );
  });

  it('a code policy cannot tell its printers: the global action, unless the setting names the printer', async () => {
    const code = { name: 'code', decide: async () => ({ action: 'release' as const, rule: 'r' }) };
    expect(await chooseFailSafe(HR, { failSafeAction: 'release', policy: code }, graph.reader(HR))).toMatchObject({
      action: 'release',
    });
    const named = { failSafeAction: 'release' as const, policy: code, failSafePrinters: map({ 'HR *': 'deny' }) };
    expect(await chooseFailSafe(HR, named, graph.reader(HR))).toMatchObject({ action: 'deny' });
  });
});

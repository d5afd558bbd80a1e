import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parsePolicy } from '../../../src/policy/declarative/policy-schema';
import { compilePolicy } from '../../../src/policy/declarative/rule-engine';
import { parseQuotas } from '../../../src/policy/declarative/quota-schema';
import { buildPolicyContext } from '../../../src/policy/policy-context';
import { loadPluginModule } from '../../../src/policy/plugins';
import { loadPolicyFromSettings } from '../../../src/policy/load-policy';
import { inShadowMode } from '../../../src/policy/shadow-mode';
import type { QuotaStanding } from '../../../src/quota/quota-model';
import { context } from '../../support/policy-context';

const term = { terms: [{ name: 'Autumn 2026', start: '2026-09-01', end: '2026-12-18' }] };
const colour = { name: 'colour-pages', measure: 'colorPages', limit: 200, period: term, users: ['*@students.example'] };
const jobs = { name: 'jobs', measure: 'jobs', limit: 30, period: { every: 'week' } };

function errors(policy: Record<string, unknown>): string[] {
  const result = parsePolicy({ name: 'x', rules: [], default: { release: {} }, ...policy });
  return result.ok ? [] : result.errors;
}
const atLimit = (name: string, state: string, reason: string) => ({
  name: `${name} ${state}`,
  when: { quota: { name, state } },
  then: { deny: { reason } },
});

describe('quota declarations: errors name the quota and the field and echo the bad value', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'a bad name',
      { ...jobs, name: 'colour pages' },
      /^quota 1 "colour pages": name: expected letters, digits and dashes.*got "colour pages"/,
    ],
    [
      'an unknown measure',
      { ...jobs, measure: 'colourPages' },
      /measure: expected one of .*got "colourPages" \(did you mean "colorPages"\?\)/,
    ],
    ['a negative limit', { ...jobs, limit: -1 }, /limit: must be at least 0, got -1/],
    ['a fractional limit', { ...jobs, limit: 2.5 }, /limit: expected a whole number, got 2.5/],
    [
      'an unknown period',
      { ...jobs, period: { every: 'year' } },
      /period.every: expected one of "day", "week", "month", got "year"/,
    ],
    [
      'both every and terms',
      { ...jobs, period: { every: 'week', terms: term.terms } },
      /period: needs exactly one of every or terms/,
    ],
    [
      'a date that does not exist',
      { ...jobs, period: { terms: [{ name: 'T', start: '2026-02-30', end: '2026-03-01' }] } },
      /period.terms.0.start: expected a date that exists, written YYYY-MM-DD.*got "2026-02-30"/,
    ],
    [
      'a term that ends before it starts',
      { ...jobs, period: { terms: [{ name: 'T', start: '2026-03-02', end: '2026-03-01' }] } },
      /period.terms.0.end: end is before start/,
    ],
    [
      'overlapping terms',
      {
        ...jobs,
        period: {
          terms: [
            { name: 'Spring', start: '2027-01-05', end: '2027-03-26' },
            { name: 'Autumn', start: '2026-09-01', end: '2027-01-05' },
          ],
        },
      },
      /period.terms.0.start: term "Spring" \(2027-01-05 to 2027-03-26\) overlaps term "Autumn" \(2026-09-01 to 2027-01-05\)/,
    ],
    [
      'a group that is not an id',
      { ...jobs, groups: ['students'] },
      /groups.0: expected an object id \(a GUID\), got "students"/,
    ],
  ])('%s', (_what, quota, expected) => {
    expect(errors({ quotas: [quota] })).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it('quota names are unique', () => {
    expect(errors({ quotas: [jobs, { ...jobs, name: 'Jobs' }] })).toEqual([
      'quota 2 "Jobs": name: quota 1 has the same name "Jobs"; quota names must be unique (usage is kept by name)',
    ]);
  });

  it('a condition naming no declared quota says which is nearest', () => {
    const rule = {
      name: 'r',
      when: { all: [{ quota: { name: 'colour-page', state: 'reached' } }] },
      then: { release: {} },
    };
    expect(errors({ quotas: [colour, jobs], rules: [rule] })).toEqual([
      'rule 1 "r": when.all.0.quota.name: no quota is named "colour-page" (did you mean "colour-pages"?); the policy declares: colour-pages, jobs',
    ]);
    expect(errors({ rules: [{ ...rule, when: { quota: { name: 'jobs', state: 'full' } } }] })).toEqual(
      expect.arrayContaining([expect.stringMatching(/state: expected one of "reached", "wouldExceed", got "full"/)]),
    );
  });

  it('placeholders that cannot be filled are errors', () => {
    const policy = (rules: unknown[], fallback: unknown = { release: {} }) =>
      errors({ quotas: [colour, jobs], rules, default: fallback });
    expect(
      policy([
        atLimit('jobs', 'reached', 'Used {used} of {limit} {period}, {remaining} left on {quota}; {used:colour-pages}'),
      ]),
    ).toEqual([]);
    expect(policy([{ name: 'r', when: {}, then: { deny: { reason: 'Used {used}' } } }])).toEqual([
      'rule 1 "r": then.deny.reason: placeholder {used} needs a rule whose condition names a quota ({ "quota": { "name", "state" } }); elsewhere write {used:<quota>}',
    ]);
    expect(policy([atLimit('jobs', 'reached', 'Used {usd}')])[0]).toMatch(
      /unknown placeholder \{usd\} \(did you mean "\{used\}"\?\)/,
    );
    expect(policy([atLimit('jobs', 'reached', '{used:colour-page}')])[0]).toMatch(
      /placeholder \{used:colour-page\}: no quota is named "colour-page" \(did you mean "colour-pages"\?\)/,
    );
    const both = {
      name: 'r',
      when: {
        any: [{ quota: { name: 'jobs', state: 'reached' } }, { quota: { name: 'colour-pages', state: 'reached' } }],
      },
    };
    expect(policy([{ ...both, then: { deny: { reason: '{remaining} left' } } }])[0]).toMatch(
      /placeholder \{remaining\} is ambiguous: the rule's condition names quotas jobs, colour-pages; write \{remaining:<quota>\}/,
    );
    expect(policy([], { deny: { reason: 'You have {remaining} left' } })).toEqual([
      expect.stringMatching(/^default.deny.reason: placeholder \{remaining\} needs a rule/),
    ]);
  });
});

const standing = (s: Partial<QuotaStanding>): QuotaStanding => ({
  quota: 'colour-pages',
  measure: 'colorPages',
  limit: 200,
  used: 200,
  remaining: 0,
  cost: 3,
  reached: true,
  wouldExceed: true,
  period: { key: 'term:autumn-2026', label: 'this term (Autumn 2026)', start: '', end: '' },
  ...s,
});

function compiled(rules: unknown[], fallback: unknown = { release: {} }) {
  const parsed = parsePolicy({
    name: 'q',
    timeZone: 'Europe/London',
    quotas: [colour, jobs],
    rules,
    default: fallback,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return compilePolicy(parsed.policy, { runPlugin: async () => true });
}

describe('quota conditions and reasons', () => {
  const policy = compiled(
    [
      atLimit(
        'colour-pages',
        'wouldExceed',
        'You have used {used} of {limit} colour pages {period}; {remaining:jobs} jobs left.',
      ),
    ],
    { release: { reason: '{used:jobs} of {limit:jobs} jobs {period:jobs}' } },
  );

  it('the policy declares its quotas and their time zone for the processor', () => {
    expect(policy.quotas).toEqual({
      timeZone: 'Europe/London',
      definitions: [
        { name: 'colour-pages', measure: 'colorPages', limit: 200, period: term, users: ['*@students.example'] },
        { name: 'jobs', measure: 'jobs', limit: 30, period: { every: 'week' } },
      ],
    });
  });

  it('denies at the limit with the reason filled in, and the trace says where the owner stands', async () => {
    const ctx = context({
      quotas: { 'colour-pages': standing({}), jobs: standing({ quota: 'jobs', used: 4, limit: 30, remaining: 26 }) },
    });
    const evaluation = await policy.evaluate(ctx);
    expect(evaluation.decision).toEqual({
      action: 'deny',
      rule: 'colour-pages wouldExceed',
      reason: 'You have used 200 of 200 colour pages this term (Autumn 2026); 26 jobs left.',
    });
    expect(evaluation.trace[0]!.conditions).toEqual([
      {
        condition: 'quota colour-pages wouldExceed',
        holds: true,
        depth: 0,
        detail: 'used 200 of 200 this term (Autumn 2026), this job 3',
      },
    ]);
  });

  it('a quota that does not apply never holds, and its placeholders read n/a', async () => {
    const ctx = context({ quotas: { 'colour-pages': undefined, jobs: undefined } });
    const evaluation = await policy.evaluate(ctx);
    expect(evaluation.trace[0]!.conditions[0]).toMatchObject({
      holds: false,
      detail: 'does not apply to this owner now',
    });
    expect(evaluation.decision).toEqual({ action: 'release', rule: 'default', reason: 'n/a of n/a jobs n/a' });
  });

  it('cheap conditions first: no usage is read when the rule already failed', async () => {
    const p = compiled([
      { ...atLimit('jobs', 'reached', 'x'), when: { quota: { name: 'jobs', state: 'reached' }, copies: { min: 50 } } },
    ]);
    const ctx = context({ copies: 1 });
    expect((await p.evaluate(ctx)).decision.action).toBe('release');
    expect(ctx.lookups.quotas).toBe(0);
  });

  it('fails closed: without quota usage, a policy that asks for a quota cannot decide', async () => {
    const ctx = buildPolicyContext({
      job: {
        id: '1',
        status: { state: 'paused' },
        createdBy: { id: 'u1', userPrincipalName: 'sam@students.example' },
        configuration: { colorMode: 'color' },
      },
      printerId: 'p',
      tenantId: 't',
      now: new Date('2026-11-24T10:00:00Z'),
      printers: { getPrinter: async () => ({ id: 'p' }) },
    });
    await expect(policy.decide(ctx)).rejects.toThrow('quota usage is not available');
  });

  it('shadow mode passes the quotas on', () => {
    expect(inShadowMode(policy).quotas).toBe(policy.quotas);
  });

  it('a policy loaded from settings declares the quotas of the file as last loaded', async () => {
    const json = JSON.stringify({ name: 'q', quotas: [jobs], rules: [], default: { release: {} } });
    const loaded = loadPolicyFromSettings({ RELEASE_GATE_POLICY_JSON: json, RELEASE_GATE_POLICY_SHADOW_MODE: 'true' });
    expect(loaded.quotas).toBeUndefined(); // not read yet: a quota look-up reads it during evaluate
    await loaded.evaluate(context());
    expect(loaded.quotas).toEqual({ timeZone: 'UTC', definitions: [jobs] });
  });
});

describe('quotas from a code plug-in', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'quota-plugin-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const plugin = (name: string, quotas: unknown) => {
    const file = path.join(dir, name);
    writeFileSync(
      file,
      `module.exports = { policy: { name: 'code', decide: async () => ({ action: 'release', rule: 'r' }) }, quotas: ${JSON.stringify(quotas)} };`,
    );
    return file;
  };

  it('are checked with the policy schema and passed on with the policy', () => {
    const loaded = loadPluginModule(plugin('good.js', { timeZone: 'Europe/Paris', definitions: [jobs] }), dir);
    expect(loaded.policy?.quotas).toEqual({ timeZone: 'Europe/Paris', definitions: [jobs] });
    expect(() => loadPluginModule(plugin('bad.js', { definitions: [{ ...jobs, limit: -2 }] }), dir)).toThrow(
      /invalid quotas:\n {2}- definitions.0.limit: .*got -2/,
    );
  });

  it('parseQuotas: time zone default UTC, duplicates refused', () => {
    expect(parseQuotas({ definitions: [] })).toEqual({ ok: true, quotas: { timeZone: 'UTC', definitions: [] } });
    expect(parseQuotas({ timeZone: 'Mars/Olympus', definitions: [jobs, jobs] })).toEqual({
      ok: false,
      errors: [
        expect.stringMatching(/^timeZone: expected an IANA time zone.*got "Mars\/Olympus"/),
        expect.stringMatching(/^quotas.1.name: quota 1 has the same name "jobs"/),
      ],
    });
  });
});

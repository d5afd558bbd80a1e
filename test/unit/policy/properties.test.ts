import fc from 'fast-check';
import { parsePolicy, type Action, type Condition } from '../../../src/policy/declarative/policy-schema';
import { compilePolicy } from '../../../src/policy/declarative/rule-engine';
import type { PolicyContext } from '../../../src/policy/decision';
import { PluginFailure, type PluginFailMode } from '../../../src/policy/plugins';
import { PRINTERS } from '../../support/policy-context';

/** Invariants of the engine over random valid policies and random jobs, including odd ones. */
const printers = Object.values(PRINTERS);
const GROUP = '6c8a2f0e-0000-4000-8000-00000000a002';
/** Blank names and reasons are refused by the schema, so generated policies use non-blank ones. */
const nonBlank = (maxLength: number) => fc.string({ minLength: 1, maxLength }).filter((text) => text.trim().length > 0);
const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({
    users: fc.record({ include: fc.constant<string[]>(['*@contoso.example']), exclude: fc.constant<string[]>(['a*']) }),
  }),
  fc.record({ groups: fc.record({ include: fc.constant<string[]>([GROUP]) }) }),
  fc.record({ copies: fc.record({ min: fc.integer({ min: 1, max: 5 }) }) }),
  fc.record({ colorMode: fc.subarray(['color', 'grayscale', 'blackAndWhite', 'auto'] as const, { minLength: 1 }) }),
  fc.record({ duplex: fc.boolean() }),
  fc.record({
    documentSize: fc.record({ max: fc.oneof(fc.integer({ min: 0, max: 10_000_000 }), fc.constant('5MB')) }),
  }),
  fc.record({ contentType: fc.constant<string[]>(['application/*']) }),
  fc.record({ documentName: fc.constantFrom('secret', '^a', '.*') }),
  fc.record({ mediaSize: fc.constant<string[]>(['A3']) }),
  fc.record({ printers: fc.record({ names: fc.constant<string[]>(['HQ *']) }) }),
  fc.record({ location: fc.record({ floor: fc.subarray(['1', '2', '3'], { minLength: 1 }) }) }),
  fc.record({ plugin: fc.constantFrom('ok', 'flaky') }),
  fc.record({
    time: fc.record(
      {
        days: fc.subarray(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const, { minLength: 1 }),
        from: fc.constantFrom('00:00', '08:00', '22:00'),
        to: fc.constantFrom('06:00', '18:00', '23:59'),
        timeZone: fc.constantFrom('UTC', 'Europe/London', 'Pacific/Auckland', 'America/St_Johns'),
      },
      { requiredKeys: [] },
    ),
  }),
);
const condition: fc.Arbitrary<Condition> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.record({ all: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ),
})).node as fc.Arbitrary<Condition>;
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constant({ release: {} }),
  fc.record({
    releaseWithChanges: fc.record({
      grayscale: fc.constant(true),
      duplex: fc.boolean(),
      maxCopies: fc.integer({ min: 1, max: 5 }),
    }),
  }),
  fc.constant({ redirect: { printerId: PRINTERS.floor1.id } }),
  fc.constant({ redirect: { map: { [PRINTERS.floor2.id]: PRINTERS.floor1.id } } }),
  // No braces: `{…}` in a reason is a quota placeholder, checked when the policy loads (a policy test of its own).
  fc.record({ deny: fc.record({ reason: nonBlank(40).filter((text) => !/[{}]/.test(text)) }) }),
  fc.record({
    hold: fc.record({
      expiresInMinutes: fc.integer({ min: 1, max: 600 }),
      onExpiry: fc.constantFrom('release' as const, 'deny' as const),
    }),
  }),
);
const policyArb = fc.record({
  name: fc.constant('random'),
  shadowMode: fc.boolean(),
  rules: fc.uniqueArray(fc.record({ name: nonBlank(10), when: condition, then: action }), {
    maxLength: 6,
    selector: (r) => r.name.trim().toLowerCase(),
  }),
  default: action,
});
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Jobs as Graph might send them: any field may be missing, values may be ones no rule expects. */
const jobArb = fc.record({
  upn: maybe(fc.oneof(fc.constantFrom('adele@contoso.example', 'sam@students.school.example'), fc.string())),
  printer: fc.constantFrom(...printers, { id: '9f8e7d6c-0000-4000-8000-0000000000ff' }),
  copies: maybe(fc.integer({ min: 0, max: 1000 })),
  colorMode: maybe(fc.constantFrom('color', 'grayscale', 'blackAndWhite', 'auto', 'unknownFutureValue')),
  duplexMode: maybe(fc.constantFrom('oneSided', 'flipOnLongEdge', 'flipOnShortEdge')),
  mediaSize: maybe(fc.constantFrom('A4', 'A3', 'North America Letter')),
  document: maybe(
    fc.record({
      name: maybe(fc.string()),
      sizeBytes: maybe(fc.nat()),
      contentType: maybe(fc.constantFrom('application/pdf', 'image/png')),
    }),
  ),
  groups: fc.subarray([GROUP]),
  now: fc.date({ min: new Date('2026-01-01'), max: new Date('2027-12-31'), noInvalidDate: true }),
  pluginFails: fc.boolean(),
});
type Job = typeof jobArb extends fc.Arbitrary<infer T> ? T : never;

function contextOf(job: Job): PolicyContext {
  return {
    tenantId: 't',
    now: job.now,
    job: {
      id: '1',
      printerId: job.printer.id,
      owner: { userPrincipalName: job.upn },
      configuration: {
        copies: job.copies,
        colorMode: job.colorMode,
        duplexMode: job.duplexMode,
        mediaSize: job.mediaSize,
      },
      document: job.document,
    },
    printer: async () => job.printer,
    memberOf: async (ids) => new Set(ids.filter((id) => job.groups.includes(id))),
    quota: async (name) => {
      throw new Error(`no quota usage in this test (asked for ${name})`);
    },
  };
}

function compile(raw: unknown, job: Job, pluginFailMode: PluginFailMode = 'skip-rule') {
  const parsed = parsePolicy(raw);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return compilePolicy(parsed.policy, {
    pluginFailMode,
    runPlugin: async (name) => {
      if (name === 'flaky' && job.pluginFails) throw new PluginFailure(name, new Error('down'));
      return true;
    },
  });
}

const ACTIONS = ['release', 'release-with-changes', 'redirect', 'deny', 'hold'];
const failModes = fc.constantFrom<PluginFailMode>('skip-rule', 'release', 'deny');

describe('release policy invariants (property-based)', () => {
  it('every job gets exactly one decision, the engine never throws, a deny always has a reason', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, jobArb, failModes, async (raw, job, failMode) => {
        const { decision, trace, decidedBy } = await compile({ ...raw, shadowMode: false }, job, failMode).evaluate(
          contextOf(job),
        );
        expect(ACTIONS).toContain(decision.action);
        // At most one rule decided, and it is the last one tried.
        const deciding = trace.filter((t) => t.matched && !t.skipped);
        expect(deciding.length).toBeLessThanOrEqual(1);
        if (deciding.length === 1) expect(trace.at(-1)).toBe(deciding[0]);
        else expect(decidedBy).toBe('default');
        if (decision.action === 'deny') expect(decision.reason.trim().length).toBeGreaterThan(0);
        if (decision.action === 'release-with-changes') expect(Object.keys(decision.changes).length).toBeGreaterThan(0);
        if (decision.action === 'redirect') expect(decision.printerId).not.toBe(job.printer.id);
        if (decision.action === 'hold') expect(decision.expiresInMinutes).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });

  it('shadow mode never denies, holds or redirects, and records what it would have done', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, jobArb, failModes, async (raw, job, failMode) => {
        const decision = await compile({ ...raw, shadowMode: true }, job, failMode).decide(contextOf(job));
        expect(decision.action).toBe('release');
        expect(decision.action === 'release' && decision.shadowOf && ACTIONS.includes(decision.shadowOf.action)).toBe(
          true,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('shadow mode records exactly the decision the policy makes without it', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, jobArb, async (raw, job) => {
        const live = await compile({ ...raw, shadowMode: false }, job).decide(contextOf(job));
        const shadow = await compile({ ...raw, shadowMode: true }, job).decide(contextOf(job));
        expect(shadow.action === 'release' && shadow.shadowOf).toEqual(live);
      }),
      { numRuns: 100 },
    );
  });

  it('the first matching rule decides: prepending a catch-all rule decides everything', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, jobArb, async (raw, job) => {
        const policy = compile(
          {
            ...raw,
            shadowMode: false,
            rules: [{ name: 'first!', when: {}, then: { deny: { reason: 'first' } } }, ...raw.rules],
          },
          job,
        );
        expect(await policy.decide(contextOf(job))).toEqual({ action: 'deny', rule: 'first!', reason: 'first' });
      }),
      { numRuns: 100 },
    );
  });

  it('"not" inverts: a rule and its negation never both match the same job', async () => {
    await fc.assert(
      fc.asyncProperty(condition, jobArb, async (when, job) => {
        const ok = { ...job, pluginFails: false };
        const matches = async (w: Condition) =>
          (
            await compile(
              { name: 'n', rules: [{ name: 'r', when: w, then: { deny: { reason: 'm' } } }], default: { release: {} } },
              ok,
            ).decide(contextOf(ok))
          ).action === 'deny';
        expect(await matches({ not: when })).toBe(!(await matches(when)));
      }),
      { numRuns: 200 },
    );
  });
});

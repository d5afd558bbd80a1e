import fc from 'fast-check';
import { parsePolicy, type Action, type Condition } from '../../../src/policy/declarative/policy-schema';
import { compilePolicy } from '../../../src/policy/declarative/rule-engine';
import { context, PRINTERS } from '../../support/policy-context';

/** Invariants of the engine over random valid policies and random jobs. */
const printers = Object.values(PRINTERS);
const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ users: fc.record({ include: fc.constant<string[]>(['*@contoso.example']) }) }),
  fc.record({ copies: fc.record({ min: fc.integer({ min: 1, max: 5 }) }) }),
  fc.record({ colorMode: fc.subarray(['color', 'grayscale', 'blackAndWhite', 'auto'] as const, { minLength: 1 }) }),
  fc.record({ duplex: fc.boolean() }),
  fc.record({ documentSize: fc.record({ max: fc.integer({ min: 0, max: 10_000_000 }) }) }),
  fc.record({ printers: fc.record({ names: fc.constant<string[]>(['HQ *']) }) }),
  fc.record({ location: fc.record({ floor: fc.subarray(['1', '2', '3'], { minLength: 1 }) }) }),
  fc.record({
    time: fc.record({
      from: fc.constantFrom('00:00', '08:00', '22:00'),
      to: fc.constantFrom('06:00', '18:00', '23:59'),
    }),
  }),
);
const condition: fc.Arbitrary<Condition> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.record({ all: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ),
})).node as fc.Arbitrary<Condition>;
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constant({ release: {} }),
  fc.record({
    releaseWithChanges: fc.record({ grayscale: fc.constant(true), maxCopies: fc.integer({ min: 1, max: 5 }) }),
  }),
  fc.constant({ redirect: { printerId: PRINTERS.floor1.id } }),
  fc.record({ deny: fc.record({ reason: fc.string({ minLength: 1, maxLength: 40 }) }) }),
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
  rules: fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 10 }), when: condition, then: action }), {
    maxLength: 6,
  }),
  default: action,
});
const jobArb = fc.record({
  upn: fc.constantFrom('adele@contoso.example', 'sam@students.school.example'),
  printer: fc.constantFrom(...printers),
  copies: fc.integer({ min: 1, max: 50 }),
  colorMode: fc.constantFrom('color', 'grayscale', 'blackAndWhite', 'auto'),
  duplexMode: fc.constantFrom('oneSided', 'flipOnLongEdge', 'flipOnShortEdge'),
  size: fc.integer({ min: 0, max: 20_000_000 }),
  now: fc
    .date({ min: new Date('2026-01-01'), max: new Date('2027-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString()),
});

function compile(raw: unknown) {
  const parsed = parsePolicy(raw);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return { file: parsed.policy, policy: compilePolicy(parsed.policy, { plugins: {}, runPlugin: async () => false }) };
}

describe('release policy invariants (property-based)', () => {
  it('every valid policy gives every job exactly one decision, never throwing; a deny always has a reason', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, jobArb, async (raw, job) => {
        const { policy } = compile(raw);
        const { decision, trace } = await policy.evaluate(context(job));
        expect(['release', 'release-with-changes', 'redirect', 'deny', 'hold']).toContain(decision.action);
        expect(trace.filter((t) => t.matched && !t.skipped).length).toBeLessThanOrEqual(1);
        if (decision.action === 'deny') expect(decision.reason?.length).toBeGreaterThan(0);
        if (decision.action === 'release-with-changes') expect(Object.keys(decision.changes).length).toBeGreaterThan(0);
        if (decision.action === 'redirect') expect(decision.printerId).not.toBe(job.printer.id);
      }),
      { numRuns: 300 },
    );
  });

  it('shadow mode never denies, never holds, never redirects, and records what it would have done', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, jobArb, async (raw, job) => {
        const { policy } = compile({ ...raw, shadowMode: true });
        const decision = await policy.decide(context(job));
        expect(decision.action).toBe('release');
        expect(decision.action === 'release' && decision.shadowOf).toBeTruthy();
      }),
      { numRuns: 200 },
    );
  });

  it('the first matching rule decides: prepending a catch-all rule decides everything', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, jobArb, async (raw, job) => {
        const { policy } = compile({
          ...raw,
          shadowMode: false,
          rules: [{ name: 'first', when: {}, then: { deny: { reason: 'first' } } }, ...raw.rules],
        });
        expect(await policy.decide(context(job))).toEqual({ action: 'deny', rule: 'first', reason: 'first' });
      }),
      { numRuns: 100 },
    );
  });
});

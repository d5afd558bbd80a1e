import { parsePolicy, type Action, type Condition } from '../../../src/policy/declarative/policy-schema';
import { compilePolicy } from '../../../src/policy/declarative/rule-engine';
import { inTimeWindow } from '../../../src/policy/declarative/time-window';
import type { PolicyContext } from '../../../src/policy/decision';
import { traceSummary } from '../../../src/policy/trace';
import { context, PRINTERS, type ContextInput } from '../../support/policy-context';

const STUDENTS = '6c8a2f0e-0000-4000-8000-00000000a002';

function policy(when: Condition, then: Action = { deny: { reason: 'matched' } }, extra: Record<string, unknown> = {}) {
  const parsed = parsePolicy({
    name: 'test',
    timeZone: 'Europe/Berlin',
    rules: [{ name: 'rule', when, then }],
    default: { release: {} },
    ...extra,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return compilePolicy(parsed.policy, { runPlugin: async () => true });
}

const matches = async (when: Condition, input: ContextInput) =>
  (await policy(when).decide(context(input))).action === 'deny';

describe('conditions', () => {
  const cases: [string, Condition, ContextInput, boolean][] = [
    [
      'users include (wildcard)',
      { users: { include: ['*@students.school.example'] } },
      { upn: 'Sam@Students.School.Example' },
      true,
    ],
    [
      'users include, other user',
      { users: { include: ['*@students.school.example'] } },
      { upn: 'teacher@staff.school.example' },
      false,
    ],
    ['users exclude', { users: { exclude: ['boss@contoso.example'] } }, { upn: 'boss@contoso.example' }, false],
    [
      'users exclude, someone else',
      { users: { exclude: ['boss@contoso.example'] } },
      { upn: 'adele@contoso.example' },
      true,
    ],
    [
      'users include and exclude',
      { users: { include: ['*@contoso.example'], exclude: ['boss@*'] } },
      { upn: 'BOSS@contoso.example' },
      false,
    ],
    ['groups include', { groups: { include: [STUDENTS] } }, { groups: [STUDENTS] }, true],
    ['groups include, not a member', { groups: { include: [STUDENTS] } }, { groups: [] }, false],
    ['groups exclude', { groups: { exclude: [STUDENTS] } }, { groups: [STUDENTS] }, false],
    ['printers by id', { printers: { ids: [PRINTERS.hr.id] } }, { printer: PRINTERS.hr }, true],
    ['printers by name wildcard', { printers: { names: ['hq floor *'] } }, { printer: PRINTERS.floor2 }, true],
    ['printers by name, other', { printers: { names: ['HR *'] } }, { printer: PRINTERS.floor1 }, false],
    ['location floor', { location: { site: ['HQ'], floor: ['2'] } }, { printer: PRINTERS.floor2 }, true],
    ['location floor, other', { location: { floor: ['2'] } }, { printer: PRINTERS.floor1 }, false],
    ['documentSize min with units', { documentSize: { min: '20MB' } }, { size: 21 * 1024 * 1024 }, true],
    ['documentSize min, smaller', { documentSize: { min: '20MB' } }, { size: 19 * 1024 * 1024 }, false],
    ['documentSize max (inclusive)', { documentSize: { max: 1000 } }, { size: 1000 }, true],
    ['documentSize max, one byte over', { documentSize: { max: '1KB' } }, { size: 1025 }, false],
    ['documentSize with a decimal and a space', { documentSize: { min: '1.5 MB' } }, { size: 1_572_864 }, true],
    ['documentSize MiB', { documentSize: { max: '1MiB' } }, { size: 1_048_577 }, false],
    ['location building', { location: { building: ['a'] } }, { printer: PRINTERS.hr }, true],
    ['plug-in condition', { plugin: 'anything' }, {}, true],
    ['contentType wildcard', { contentType: ['image/*'] }, { contentType: 'image/png' }, true],
    ['contentType other', { contentType: ['image/*'] }, { contentType: 'application/pdf' }, false],
    ['documentName regex', { documentName: 'confidential|secret' }, { name: 'SECRET plans.docx' }, true],
    ['copies range', { copies: { min: 2, max: 5 } }, { copies: 5 }, true],
    ['copies range, over', { copies: { min: 2, max: 5 } }, { copies: 6 }, false],
    ['colorMode', { colorMode: ['color'] }, { colorMode: 'color' }, true],
    ['colorMode other', { colorMode: ['color'] }, { colorMode: 'grayscale' }, false],
    ['duplex true', { duplex: true }, { duplexMode: 'flipOnShortEdge' }, true],
    ['duplex true, one-sided', { duplex: true }, { duplexMode: 'oneSided' }, false],
    ['duplex false', { duplex: false }, { duplexMode: 'oneSided' }, true],
    ['mediaSize', { mediaSize: ['A3'] }, { mediaSize: 'a3' }, true],
    [
      'time window in the policy zone',
      { time: { days: ['tue'], from: '10:30', to: '12:00' } },
      { now: '2026-11-24T09:45:00Z' },
      true,
    ],
    [
      'time window, before',
      { time: { days: ['tue'], from: '10:30', to: '12:00' } },
      { now: '2026-11-24T09:15:00Z' },
      false,
    ],
    [
      'time window, own zone',
      { time: { from: '04:00', to: '06:00', timeZone: 'America/New_York' } },
      { now: '2026-11-24T10:00:00Z' },
      true,
    ],
    ['all', { all: [{ colorMode: ['color'] }, { copies: { min: 2 } }] }, { colorMode: 'color', copies: 3 }, true],
    [
      'all, one fails',
      { all: [{ colorMode: ['color'] }, { copies: { min: 2 } }] },
      { colorMode: 'color', copies: 1 },
      false,
    ],
    ['any', { any: [{ colorMode: ['grayscale'] }, { copies: { min: 2 } }] }, { colorMode: 'color', copies: 3 }, true],
    [
      'any, none',
      { any: [{ colorMode: ['grayscale'] }, { copies: { min: 2 } }] },
      { colorMode: 'color', copies: 1 },
      false,
    ],
    ['not', { not: { colorMode: ['color'] } }, { colorMode: 'grayscale' }, true],
    ['not, holds inside', { not: { colorMode: ['color'] } }, { colorMode: 'color' }, false],
    ['time window across midnight', { time: { from: '22:00', to: '06:00' } }, { now: '2026-11-24T03:00:00Z' }, true],
    ['time window on another day', { time: { days: ['sat', 'sun'] } }, { now: '2026-11-24T10:00:00Z' }, false],
    ['empty condition always matches', {}, {}, true],
    [
      'several keys: all must hold',
      { colorMode: ['color'], copies: { min: 10 } },
      { colorMode: 'color', copies: 1 },
      false,
    ],
  ];
  it.each(cases)('%s', async (_name, when, input, expected) => {
    expect(await matches(when, input)).toBe(expected);
  });

  it('looks up the printer and groups only when a rule needs them, and stops at the first miss', async () => {
    const ctx = context({ colorMode: 'grayscale' });
    await policy({ colorMode: ['color'], location: { floor: ['2'] }, groups: { include: [STUDENTS] } }).decide(ctx);
    expect(ctx.lookups).toEqual({ printer: 0, groups: 0, quotas: 0 });
    const byId = context({ printer: PRINTERS.hr });
    await policy({ printers: { ids: [PRINTERS.hr.id] } }).decide(byId);
    expect(byId.lookups.printer).toBe(0);
  });
});

describe('time windows', () => {
  it('cross midnight: Friday 22:00 to 06:00 includes Saturday 05:00 but not Saturday 07:00', () => {
    const window = { days: ['fri'], from: '22:00', to: '06:00' };
    expect(inTimeWindow(new Date('2026-11-27T22:30:00Z'), window, 'UTC')).toBe(true);
    expect(inTimeWindow(new Date('2026-11-28T05:00:00Z'), window, 'UTC')).toBe(true);
    expect(inTimeWindow(new Date('2026-11-28T07:00:00Z'), window, 'UTC')).toBe(false);
    expect(inTimeWindow(new Date('2026-11-27T05:00:00Z'), window, 'UTC')).toBe(false); // Friday early: Thursday's night
  });

  it('follow daylight saving time in the zone', () => {
    const window = { from: '09:00', to: '10:00' };
    expect(inTimeWindow(new Date('2026-07-01T08:30:00Z'), window, 'Europe/London')).toBe(true); // BST: 09:30
    expect(inTimeWindow(new Date('2026-12-01T08:30:00Z'), window, 'Europe/London')).toBe(false); // GMT: 08:30
  });
});

describe('actions', () => {
  it('release-with-changes asks only for what the job does not already meet', async () => {
    const p = policy({}, { releaseWithChanges: { grayscale: true, duplex: true, maxCopies: 3 } });
    expect(await p.decide(context({ colorMode: 'color', duplexMode: 'oneSided', copies: 9 }))).toEqual({
      action: 'release-with-changes',
      rule: 'rule',
      changes: { colorMode: 'grayscale', duplexMode: 'flipOnLongEdge', copies: 3 },
    });
    expect(await p.decide(context({ colorMode: 'blackAndWhite', duplexMode: 'flipOnLongEdge', copies: 1 }))).toEqual({
      action: 'release',
      rule: 'rule',
    });
  });

  it('redirect to a fixed printer, with changes', async () => {
    const p = policy({}, { redirect: { printerId: PRINTERS.floor1.id, grayscale: true } });
    expect(await p.decide(context({ printer: PRINTERS.floor2 }))).toEqual({
      action: 'redirect',
      rule: 'rule',
      printerId: PRINTERS.floor1.id,
      configuration: { colorMode: 'grayscale' },
    });
  });

  it('redirect by map: an unmapped printer falls through to the next rule', async () => {
    const parsed = parsePolicy({
      name: 'map',
      rules: [
        { name: 'map', when: {}, then: { redirect: { map: { [PRINTERS.floor2.id]: PRINTERS.floor1.id } } } },
        { name: 'next', when: {}, then: { deny: { reason: 'fell through' } } },
      ],
      default: { release: {} },
    });
    if (!parsed.ok) throw new Error(parsed.errors.join());
    const p = compilePolicy(parsed.policy, { runPlugin: async () => false });
    expect(await p.decide(context({ printer: PRINTERS.floor2 }))).toMatchObject({
      action: 'redirect',
      printerId: PRINTERS.floor1.id,
    });
    const evaluation = await p.evaluate(context({ printer: PRINTERS.hr }));
    expect(evaluation.decision).toMatchObject({ action: 'deny', rule: 'next' });
    expect(evaluation.trace[0]).toMatchObject({
      rule: 'map',
      matched: true,
      skipped: expect.stringContaining('redirect map'),
    });
  });

  it('deny carries the reason; hold its expiry; the default decides when nothing matches', async () => {
    expect(await policy({}, { deny: { reason: 'No.' } }).decide(context())).toEqual({
      action: 'deny',
      rule: 'rule',
      reason: 'No.',
    });
    expect(await policy({}, { hold: { expiresInMinutes: 90, onExpiry: 'release' } }).decide(context())).toEqual({
      action: 'hold',
      rule: 'rule',
      expiresInMinutes: 90,
      onExpiry: 'release',
    });
    expect(await policy({ copies: { min: 99 } }).decide(context())).toEqual({ action: 'release', rule: 'default' });
  });

  it('a hold can carry the changes to apply at release (only those the job needs)', async () => {
    const hold = { hold: { expiresInMinutes: 60, onExpiry: 'deny' as const, grayscale: true, maxCopies: 2 } };
    expect(await policy({}, hold).decide(context({ colorMode: 'color', copies: 5 }))).toEqual({
      action: 'hold',
      rule: 'rule',
      expiresInMinutes: 60,
      onExpiry: 'deny',
      configuration: { colorMode: 'grayscale', copies: 2 },
    });
    const confidential = { hold: { expiresInMinutes: 60, onExpiry: 'deny' as const, releaseAt: [PRINTERS.hr.id] } };
    expect(await policy({}, confidential).decide(context())).toMatchObject({ releaseAt: [PRINTERS.hr.id] });
    // Already compliant: held with nothing to change.
    expect(await policy({}, hold).decide(context({ colorMode: 'grayscale', copies: 1 }))).not.toHaveProperty(
      'configuration',
    );
  });

  it('shadow mode records the decision but releases', async () => {
    const decision = await policy({}, { deny: { reason: 'No.' } }, { shadowMode: true }).decide(context());
    expect(decision).toEqual({
      action: 'release',
      rule: 'shadow mode',
      reason: 'Shadow mode: would deny (rule)',
      shadowOf: { action: 'deny', rule: 'rule', reason: 'No.' },
    });
  });
});

describe('what a job leaves unspecified', () => {
  const bare = (configuration: PolicyContext['job']['configuration'], document?: PolicyContext['job']['document']) => {
    const ctx = context();
    return { ...ctx, job: { ...ctx.job, configuration, document } };
  };
  it.each<[string, Condition, boolean]>([
    ['no colour mode counts as auto', { colorMode: ['auto'] }, true],
    ['no duplex mode is one-sided', { duplex: false }, true],
    ['no copies is one copy', { copies: { max: 1 } }, true],
    ['no document size matches no size range', { documentSize: { max: '1GB' } }, false],
    ['no content type matches no type', { contentType: ['*'] }, false],
    ['no paper size matches no size', { mediaSize: ['*'] }, false],
  ])('%s', async (_name, when, expected) => {
    expect((await policy(when).decide(bare({}))).action === 'deny').toBe(expected);
  });
});

describe('the trace', () => {
  it('lists each rule tried, nested conditions under their combination, and the rule that decided', async () => {
    const parsed = parsePolicy({
      name: 'trace',
      rules: [
        { name: 'weekend', when: { not: { time: { days: ['mon', 'tue'] } } }, then: { deny: { reason: 'weekend' } } },
        { name: 'colour', when: { colorMode: ['color'] }, then: { releaseWithChanges: { grayscale: true } } },
      ],
      default: { release: {} },
    });
    if (!parsed.ok) throw new Error(parsed.errors.join());
    const evaluation = await compilePolicy(parsed.policy, { runPlugin: async () => false }).evaluate(
      context({ now: '2026-11-24T10:00:00Z' }),
    );
    expect(evaluation.decidedBy).toBe('colour');
    expect(evaluation.trace).toEqual([
      {
        rule: 'weekend',
        index: 0,
        matched: false,
        conditions: [
          { condition: 'not', holds: false, depth: 0 },
          { condition: 'time', holds: true, depth: 1, detail: 'tue 10:00 in UTC' },
        ],
      },
      {
        rule: 'colour',
        index: 1,
        matched: true,
        conditions: [{ condition: 'colorMode', holds: true, depth: 0, detail: 'color' }],
      },
    ]);
    expect(traceSummary(evaluation)).toBe('✘ weekend (not); ✔ colour');
  });

  it('says when the default decided', async () => {
    const evaluation = await policy({ copies: { min: 50 } }).evaluate(context());
    expect(evaluation.decidedBy).toBe('default');
    expect(traceSummary(evaluation)).toBe('✘ rule (copies); default');
  });
});

describe('redirect to the printer the job is already on', () => {
  it('releases it there, with the changes the rule asks for, rather than a redirect Graph would refuse', async () => {
    const p = policy({}, { redirect: { printerId: PRINTERS.floor1.id, grayscale: true } });
    expect(await p.decide(context({ printer: PRINTERS.floor1, colorMode: 'color' }))).toEqual({
      action: 'release-with-changes',
      rule: 'rule',
      changes: { colorMode: 'grayscale' },
    });
  });
});

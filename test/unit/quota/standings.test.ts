import { jobCost } from '../../../src/quota/job-cost';
import type { QuotaDefinition, UsageCounter } from '../../../src/quota/quota-model';
import {
  applicableQuotas,
  chargeItemsFor,
  lazyQuotaLookup,
  quotaPeriodsFor,
  standingsFor,
} from '../../../src/quota/standings';

const STUDENTS = '11111111-1111-4111-8111-111111111111';
const ART = '22222222-2222-4222-8222-222222222222';
const term = { terms: [{ name: 'Autumn 2026', start: '2026-09-01', end: '2026-12-18' }] };
const definitions: QuotaDefinition[] = [
  { name: 'colour-pages', measure: 'colorPages', limit: 200, period: term, groups: [STUDENTS, ART] },
  { name: 'jobs', measure: 'jobs', limit: 300, period: { every: 'month' } },
  { name: 'vip-copies', measure: 'copies', limit: 5, period: { every: 'day' }, users: ['Boss@Contoso.example'] },
];
const now = new Date('2026-11-24T10:00:00Z');
const timeZone = 'Europe/London';
const owner = { id: 'u1', userPrincipalName: 'boss@contoso.example' };
const memberOf = (groups: string[]) =>
  jest.fn(async (ids: readonly string[]) => new Set(ids.filter((g) => groups.includes(g))));

describe('which quotas apply to a job owner', () => {
  it('everyone when none are listed; users by UPN ignoring case; groups through one look-up', async () => {
    const lookUp = memberOf([ART]);
    const applicable = await applicableQuotas({ definitions, timeZone, now, owner, memberOf: lookUp });
    expect(applicable.map((a) => [a.definition.name, a.period.key, a.viaGroups])).toEqual([
      ['colour-pages', 'term:autumn-2026', [ART]],
      ['jobs', '2026-11', undefined],
      ['vip-copies', '2026-11-24', undefined],
    ]);
    expect(lookUp).toHaveBeenCalledTimes(1);
    expect(lookUp).toHaveBeenCalledWith([STUDENTS, ART]);
  });

  it('not a member, another user, or outside the term: does not apply; no group look-up when none is needed', async () => {
    const other = { id: 'u2', userPrincipalName: 'sam@contoso.example' };
    const names = async (at: Date, groups: string[]) =>
      (await applicableQuotas({ definitions, timeZone, now: at, owner: other, memberOf: memberOf(groups) })).map(
        (a) => a.definition.name,
      );
    expect(await names(now, [])).toEqual(['jobs']);
    const lookUp = memberOf([STUDENTS]);
    await applicableQuotas({
      definitions,
      timeZone,
      now: new Date('2026-12-24T10:00:00Z'),
      owner: other,
      memberOf: lookUp,
    });
    expect(lookUp).not.toHaveBeenCalled();
  });

  it('a failed group look-up fails the question (never "does not apply")', async () => {
    const failing = async () => {
      throw new Error('Graph 503');
    };
    await expect(applicableQuotas({ definitions, timeZone, now, owner, memberOf: failing })).rejects.toThrow(
      'Graph 503',
    );
  });

  it('the store reads the current period of every quota that has one', () => {
    expect(quotaPeriodsFor(definitions, now, timeZone)).toEqual([
      { quota: 'colour-pages', periodKey: 'term:autumn-2026' },
      { quota: 'jobs', periodKey: '2026-11' },
      { quota: 'vip-copies', periodKey: '2026-11-24' },
    ]);
  });
});

const counter = (quota: string, periodKey: string, counts: Partial<UsageCounter>): UsageCounter => ({
  userKey: 'u1',
  quota,
  periodKey,
  confirmed: 0,
  reserved: 0,
  topUp: 0,
  ...counts,
});

describe('where the owner stands', () => {
  const counters = [
    counter('colour-pages', 'term:autumn-2026', { confirmed: 190, reserved: 10, topUp: 0 }),
    counter('jobs', '2026-11', { confirmed: 299, topUp: 1 }),
    counter('jobs', '2026-10', { confirmed: 999 }), // another period: ignored
  ];

  it('limit includes top-ups, used counts reservations, reached and wouldExceed from the cost', async () => {
    const cost = jobCost({ colorMode: 'color', copies: 2 });
    const standings = await standingsFor({
      definitions,
      timeZone,
      now,
      owner,
      memberOf: memberOf([STUDENTS]),
      cost,
      counters,
    });
    expect(standings.get('colour-pages')).toMatchObject({
      limit: 200,
      used: 200,
      remaining: 0,
      cost: 2,
      reached: true,
      wouldExceed: true,
      period: { label: 'this term (Autumn 2026)' },
    });
    expect(standings.get('jobs')).toMatchObject({
      limit: 301,
      used: 299,
      remaining: 2,
      reached: false,
      wouldExceed: false,
    });
    expect(standings.get('vip-copies')).toMatchObject({ used: 0, limit: 5, cost: 2, wouldExceed: false });
    const grey = jobCost({ colorMode: 'grayscale' });
    const again = await standingsFor({
      definitions,
      timeZone,
      now,
      owner,
      memberOf: memberOf([STUDENTS]),
      cost: grey,
      counters,
    });
    expect(again.get('colour-pages')).toMatchObject({ reached: true, wouldExceed: false, cost: 0 });
  });

  it('charge items: only what costs something, with the groups counted through', async () => {
    const items = await chargeItemsFor({
      definitions,
      timeZone,
      now,
      owner,
      memberOf: memberOf([STUDENTS]),
      cost: jobCost({ colorMode: 'grayscale', copies: 3 }),
    });
    expect(items).toEqual([
      { quota: 'jobs', periodKey: '2026-11', periodLabel: 'this month', measure: 'jobs', amount: 1, limit: 300 },
      { quota: 'vip-copies', periodKey: '2026-11-24', periodLabel: 'today', measure: 'copies', amount: 3, limit: 5 },
    ]);
    const colour = await chargeItemsFor({
      definitions,
      timeZone,
      now,
      owner,
      memberOf: memberOf([STUDENTS]),
      cost: jobCost({}),
    });
    expect(colour[0]).toMatchObject({ quota: 'colour-pages', amount: 1, viaGroups: [STUDENTS] });
  });

  it('the lazy look-up reads once, rejects undeclared names, and reads again after a failure', async () => {
    const read = jest.fn().mockRejectedValueOnce(new Error('storage down')).mockResolvedValue(counters);
    const lookup = lazyQuotaLookup({
      quotas: () => ({ definitions, timeZone }),
      now,
      owner: { id: 'u2', userPrincipalName: 'sam@contoso.example' },
      memberOf: memberOf([]),
      cost: jobCost({}),
      read,
    });
    await expect(lookup('jobs')).rejects.toThrow('storage down');
    expect(await lookup('jobs')).toMatchObject({ used: 299 });
    expect(await lookup('colour-pages')).toBeUndefined();
    await expect(lookup('colour-page')).rejects.toThrow('No quota is named "colour-page"');
    expect(read).toHaveBeenCalledTimes(2);
  });
});

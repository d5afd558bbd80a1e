import type { ChargeItem, UsageStore } from '../../../src/quota/quota-model';
import { chargesForLess, settleCharges, settlementOf } from '../../../src/quota/settle-charges';

const item = (measure: ChargeItem['measure'], amount: number): ChargeItem => ({
  quota: measure,
  periodKey: '2026-12',
  periodLabel: 'this month',
  measure,
  amount,
  limit: 100,
});

describe('settlementOf: what a job end does to its charge', () => {
  it.each([
    ['released', 'confirm'],
    ['released-with-changes', 'confirm'],
    ['redirected', 'confirm'],
    ['hold-released', 'confirm'],
    ['denied', 'cancel'],
    ['job-gone', 'cancel'],
    ['hold-deleted', 'cancel'],
    ['hold-vanished', 'cancel'],
    ['held', 'keep'],
    ['pending', 'keep'],
  ])('%s → %s', (outcome, settlement) => {
    expect(settlementOf(outcome)).toBe(settlement);
  });

  it('outcomes that do not say whether the job printed follow the caller, and keep the reservation without it', () => {
    for (const outcome of ['hold-expired', 'already-done', 'failed-safe']) {
      expect(settlementOf(outcome, true)).toBe('confirm');
      expect(settlementOf(outcome, false)).toBe('cancel');
      expect(settlementOf(outcome)).toBe('keep');
    }
  });
});

describe('settleCharges', () => {
  const calls: string[] = [];
  const store = {
    confirm: async (userKey: string, jobId: string, items?: ChargeItem[]) =>
      void calls.push(`confirm ${userKey} ${jobId} ${items ? items.length : '-'}`),
    cancel: async (userKey: string, jobId: string) => void calls.push(`cancel ${userKey} ${jobId}`),
  } as unknown as UsageStore;
  const record = { jobId: 'j1', quotaCharges: { userKey: 'u1', jobKey: 'p1/j1', items: [item('jobs', 1)] } };
  beforeEach(() => (calls.length = 0));

  it('confirms or cancels the journaled charge; nothing journaled or keep: nothing', async () => {
    await settleCharges(store, record, 'confirm');
    await settleCharges(store, record, 'confirm', [item('jobs', 1)]);
    await settleCharges(store, record, 'cancel');
    await settleCharges(store, record, 'keep');
    await settleCharges(store, { jobId: 'j2' }, 'confirm');
    await settleCharges(undefined, { jobId: 'j2' }, 'confirm');
    expect(calls).toEqual(['confirm u1 p1/j1 -', 'confirm u1 p1/j1 1', 'cancel u1 p1/j1']);
  });

  it('a journaled charge without a usage store is an error, never forgotten', async () => {
    await expect(settleCharges(undefined, record, 'cancel')).rejects.toThrow(/no usage store/);
  });
});

describe('chargesForLess: a held job released with less than was reserved', () => {
  const reserved = [
    item('jobs', 1),
    item('copies', 3),
    item('colorJobs', 1),
    item('colorCopies', 3),
    item('pages', 12),
    item('colorPages', 12),
  ];
  const amounts = (items: ChargeItem[]) => Object.fromEntries(items.map((i) => [i.measure, i.amount]));

  it('fewer copies scale the per-copy measures down', () => {
    expect(amounts(chargesForLess(reserved, { copiesBefore: 3, copiesAfter: 1, grayscale: false }))).toEqual({
      jobs: 1,
      copies: 1,
      colorJobs: 1,
      colorCopies: 1,
      pages: 4,
      colorPages: 4,
    });
  });

  it('grayscale costs no colour', () => {
    expect(amounts(chargesForLess(reserved, { copiesBefore: 3, copiesAfter: 3, grayscale: true }))).toEqual({
      jobs: 1,
      copies: 3,
      colorJobs: 0,
      colorCopies: 0,
      pages: 12,
      colorPages: 0,
    });
  });

  it('never more than reserved, whatever it is asked', () => {
    expect(chargesForLess(reserved, { copiesBefore: 3, copiesAfter: 9, grayscale: false })).toEqual(reserved);
    expect(chargesForLess(reserved, { copiesBefore: 0, copiesAfter: 0, grayscale: false })).toEqual(reserved);
  });
});

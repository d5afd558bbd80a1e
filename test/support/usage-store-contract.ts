import fc from 'fast-check';
import type { AdminAction, ChargeItem, UsageStore } from '../../src/quota/quota-model';
import { UsageInputError, UsageStoreBusyError } from '../../src/quota/usage-counting';

/**
 * What every UsageStore promises (src/quota/quota-model.ts), as one suite run against each store:
 * the memory store in a unit test, the table store against Azurite. `make` gives an empty store.
 */
export interface ContractOptions {
  /** fast-check runs of the concurrency property (many on memory, a few on Azurite). */
  propertyRuns: number;
}

const user = 'b1c2d3e4-0000-4000-8000-000000000001';
const other = 'b1c2d3e4-0000-4000-8000-000000000002';

export const item = (amount: number, limit: number, overrides: Partial<ChargeItem> = {}): ChargeItem => ({
  quota: 'colour',
  periodKey: '2026-12',
  periodLabel: 'this month',
  measure: 'colorCopies',
  amount,
  limit,
  ...overrides,
});

const admin = (action: AdminAction['action'], at: string, extra: Partial<AdminAction> = {}): AdminAction => ({
  at,
  who: 'ops@host',
  action,
  quota: 'colour',
  periodKey: '2026-12',
  reason: 'test',
  ...extra,
});

/** A call the store could not complete against concurrent changes did nothing: it may be made again. */
async function untilDone<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof UsageStoreBusyError) || attempt >= 20) throw error;
    }
  }
}

export function usageStoreContract(make: () => Promise<UsageStore>, options: ContractOptions): void {
  let store: UsageStore;
  beforeEach(async () => {
    store = await make();
  });
  const colour = async (key = user) => (await store.read(key, [{ quota: 'colour', periodKey: '2026-12' }]))[0]!;

  it('reads an unknown counter as zero', async () => {
    expect(await colour()).toEqual({
      userKey: user,
      quota: 'colour',
      periodKey: '2026-12',
      confirmed: 0,
      reserved: 0,
      topUp: 0,
    });
  });

  it('reserves within the limit and remembers the quota, the UPN and the groups', async () => {
    const result = await store.reserve(user, 'job-1', [item(2, 5, { viaGroups: ['g2', 'g1'] })], {
      userPrincipalName: 'Ana@school.example',
    });
    expect(result).toEqual({ ok: true });
    expect(await colour()).toEqual({
      userKey: user,
      quota: 'colour',
      periodKey: '2026-12',
      periodLabel: 'this month',
      measure: 'colorCopies',
      limit: 5,
      confirmed: 0,
      reserved: 2,
      topUp: 0,
      userPrincipalName: 'Ana@school.example',
      viaGroups: ['g1', 'g2'],
    });
  });

  it('refuses a charge over the limit, all or nothing, saying where the user stands', async () => {
    expect(await store.reserve(user, 'job-1', [item(4, 5)])).toEqual({ ok: true });
    const jobs = item(1, 10, { quota: 'jobs', measure: 'jobs' });
    expect(await store.reserve(user, 'job-2', [jobs, item(2, 5)])).toEqual({
      ok: false,
      quota: 'colour',
      periodKey: '2026-12',
      used: 4,
      limit: 5,
    });
    const [jobsCounter] = await store.read(user, [{ quota: 'jobs', periodKey: '2026-12' }]);
    expect(jobsCounter).toMatchObject({ reserved: 0, confirmed: 0 });
    expect(await colour()).toMatchObject({ reserved: 4 });
  });

  it('never refuses a zero charge, even at the limit', async () => {
    await store.reserve(user, 'job-1', [item(5, 5)]);
    expect(await store.reserve(user, 'job-2', [item(0, 5)])).toEqual({ ok: true });
  });

  it('charges a job once, however often it is reserved, confirmed or cancelled', async () => {
    await store.reserve(user, 'job-1', [item(2, 5)]);
    await store.reserve(user, 'job-1', [item(2, 5)]);
    expect(await colour()).toMatchObject({ reserved: 2, confirmed: 0 });
    await store.confirm(user, 'job-1');
    await store.confirm(user, 'job-1');
    await store.cancel(user, 'job-1'); // a confirmed charge stays
    expect(await colour()).toMatchObject({ reserved: 0, confirmed: 2 });
    await store.reserve(user, 'job-1', [item(2, 5)]);
    expect(await colour()).toMatchObject({ reserved: 0, confirmed: 2 });
  });

  it('releases a cancelled reservation, once; a cancelled job reserved again costs nothing', async () => {
    await store.reserve(user, 'job-1', [item(3, 5)]);
    await store.cancel(user, 'job-1');
    await store.cancel(user, 'job-1');
    await store.confirm(user, 'job-1');
    expect(await colour()).toMatchObject({ reserved: 0, confirmed: 0 });
    expect(await store.reserve(user, 'job-1', [item(3, 5)])).toEqual({ ok: true });
    expect(await colour()).toMatchObject({ reserved: 0, confirmed: 0 });
  });

  it('confirms less than was reserved when the job printed with less, never more', async () => {
    await store.reserve(user, 'job-1', [item(3, 10)]);
    await store.confirm(user, 'job-1', [item(1, 10)]);
    expect(await colour()).toMatchObject({ confirmed: 1, reserved: 0 });
    await store.reserve(user, 'job-2', [item(2, 10)]);
    await store.confirm(user, 'job-2', [item(5, 10)]); // more than reserved: counts what was reserved
    await store.reserve(user, 'job-3', [item(2, 10)]);
    await store.confirm(user, 'job-3', []); // nothing of it printed in this quota
    expect(await colour()).toMatchObject({ confirmed: 3, reserved: 0 });
    expect(await store.charge(user, 'job-1')).toEqual({ state: 'confirmed', items: [item(1, 10)] });
    await store.confirm(user, 'job-1', [item(3, 10)]); // settled already: nothing changes
    expect(await colour()).toMatchObject({ confirmed: 3 });
  });

  it("tells a job's own charge and its state (none: undefined)", async () => {
    expect(await store.charge(user, 'job-1')).toBeUndefined();
    await store.reserve(user, 'job-1', [item(2, 5)]);
    expect(await store.charge(user, 'job-1')).toEqual({ state: 'reserved', items: [item(2, 5)] });
    await store.cancel(user, 'job-1');
    expect(await store.charge(user, 'job-1')).toMatchObject({ state: 'cancelled' });
    expect(await store.charge(other, 'job-1')).toBeUndefined();
    // The processor's keys name the printer and the job.
    await store.reserve(user, '9f8e7d6c-0000-4000-8000-000000000013/24123', [item(1, 5)]);
    expect(await store.charge(user, '9f8e7d6c-0000-4000-8000-000000000013/24123')).toMatchObject({ state: 'reserved' });
  });

  it('counts a charge the policy let go over the limit instead of refusing it', async () => {
    await store.reserve(user, 'job-1', [item(5, 5)]);
    expect(await store.reserve(user, 'job-2', [item(1, 5)])).toMatchObject({ ok: false });
    expect(await store.reserve(user, 'job-2', [item(1, 5, { overLimit: true })])).toEqual({ ok: true });
    expect(await colour()).toMatchObject({ reserved: 6 });
  });

  it('does nothing for an unknown job', async () => {
    await store.confirm(user, 'nope');
    await store.cancel(user, 'nope');
    expect(await store.list()).toEqual([]);
  });

  it('keeps users apart', async () => {
    await store.reserve(user, 'job-1', [item(5, 5)]);
    expect(await store.reserve(other, 'job-1', [item(5, 5)])).toEqual({ ok: true });
    expect((await store.list()).map((c) => [c.userKey, c.reserved])).toEqual([
      [user, 5],
      [other, 5],
    ]);
  });

  it('lets two jobs of one user racing for the last unit through one at a time', async () => {
    await store.reserve(user, 'job-0', [item(4, 5)]);
    const results = await Promise.all(
      ['a', 'b', 'c'].map((job) => untilDone(() => store.reserve(user, job, [item(1, 5)]))),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await colour()).toMatchObject({ reserved: 5 });
  });

  it('adds a top-up to the limit for that user and period, audited', async () => {
    await store.reserve(user, 'job-1', [item(5, 5)]);
    expect(await store.reserve(user, 'job-2', [item(2, 5)])).toMatchObject({ ok: false, used: 5, limit: 5 });
    const counter = await store.topUp(user, 'colour', '2026-12', 2, admin('top-up', '2026-12-02T10:00:00.000Z'));
    expect(counter).toMatchObject({ topUp: 2, reserved: 5 });
    expect(await store.reserve(user, 'job-2', [item(2, 5)])).toEqual({ ok: true });
    expect(await store.reserve(user, 'job-3', [item(1, 5)])).toMatchObject({ ok: false, used: 7, limit: 7 });
    expect(await store.adminActions()).toEqual([
      expect.objectContaining({ action: 'top-up', userKey: user, amount: 2, who: 'ops@host', reason: 'test' }),
    ]);
  });

  it('refuses a top-up that is not a whole number above zero, echoing it', async () => {
    await expect(
      store.topUp(user, 'colour', '2026-12', 0.5, admin('top-up', '2026-12-02T10:00:00.000Z')),
    ).rejects.toThrow(new UsageInputError('The top-up 0.5 is not a whole number of at least 1.'));
  });

  it('resets confirmed usage and top-ups, one user or all, keeping reservations in flight; audited', async () => {
    for (const key of [user, other]) {
      await store.reserve(key, 'job-1', [item(3, 5)]);
      await store.confirm(key, 'job-1');
      await store.reserve(key, 'job-2', [item(1, 5)]);
      await store.topUp(key, 'colour', '2026-12', 4, admin('top-up', '2026-12-02T10:00:00.000Z'));
    }
    await store.reserve(user, 'job-3', [item(1, 5, { periodKey: '2026-11' })]);
    const one = await store.reset(
      { quota: 'colour', periodKey: '2026-12', userKey: user },
      admin('reset', '2026-12-03T10:00:00.000Z'),
    );
    expect(one).toBe(1);
    expect(await colour()).toMatchObject({ confirmed: 0, topUp: 0, reserved: 1 });
    expect(await colour(other)).toMatchObject({ confirmed: 3, topUp: 4 });
    const all = await store.reset(
      { quota: 'colour', periodKey: '2026-12' },
      admin('reset', '2026-12-04T10:00:00.000Z'),
    );
    expect(all).toBe(2);
    expect(await colour(other)).toMatchObject({ confirmed: 0, topUp: 0, reserved: 1 });
    const [november] = await store.read(user, [{ quota: 'colour', periodKey: '2026-11' }]);
    expect(november).toMatchObject({ reserved: 1 });
    // A reservation settled after the reset counts from zero.
    await store.confirm(user, 'job-2');
    expect(await colour()).toMatchObject({ confirmed: 1, reserved: 0 });
  });

  it('lists counters by user, quota and period', async () => {
    await store.reserve(user, 'job-1', [item(1, 5), item(1, 9, { quota: 'jobs', measure: 'jobs' })]);
    await store.reserve(user, 'job-2', [item(1, 5, { periodKey: '2026-11' })]);
    await store.reserve(other, 'job-1', [item(1, 5)]);
    const ids = (counters: { userKey: string; quota: string; periodKey: string }[]) =>
      counters.map((c) => `${c.userKey.slice(-1)} ${c.quota} ${c.periodKey}`);
    expect(ids(await store.list())).toEqual([
      '1 colour 2026-11',
      '1 colour 2026-12',
      '1 jobs 2026-12',
      '2 colour 2026-12',
    ]);
    expect(ids(await store.list({ quota: 'colour', periodKey: '2026-12' }))).toEqual([
      '1 colour 2026-12',
      '2 colour 2026-12',
    ]);
    expect(ids(await store.list({ userKey: other }))).toEqual(['2 colour 2026-12']);
  });

  it('keeps user keys and period keys that are not table keys as they are', async () => {
    const guest = 'upn:ana_school.example#ext#@tenant.example';
    await store.reserve(guest, 'job/1?', [item(1, 5, { periodKey: 'term:autumn/2026' })]);
    await store.confirm(guest, 'job/1?');
    expect(await store.list({ userKey: guest })).toEqual([
      expect.objectContaining({ userKey: guest, periodKey: 'term:autumn/2026', confirmed: 1 }),
    ]);
  });

  it('gives the admin actions newest first, within --from and --to', async () => {
    await store.topUp(user, 'colour', '2026-12', 1, admin('top-up', '2026-11-30T10:00:00.000Z'));
    await store.topUp(user, 'colour', '2026-12', 1, admin('top-up', '2026-12-02T10:00:00.000Z'));
    await store.reset({ quota: 'colour', periodKey: '2026-12' }, admin('reset', '2026-12-01T10:00:00.000Z'));
    expect((await store.adminActions()).map((a) => a.at)).toEqual([
      '2026-12-02T10:00:00.000Z',
      '2026-12-01T10:00:00.000Z',
      '2026-11-30T10:00:00.000Z',
    ]);
    expect(
      (await store.adminActions({ from: '2026-12-01T00:00:00.000Z', to: '2026-12-01T23:59:59.999Z' })).map(
        (a) => a.action,
      ),
    ).toEqual(['reset']);
  });

  it('refuses a charge that is not a whole number, echoing it', async () => {
    await expect(store.reserve(user, 'job-1', [item(-1, 5)])).rejects.toThrow(/charge -1 is not a whole number/);
  });

  it('never lets racing, redelivered jobs of one user exceed limit + top-up, and counts each job once', async () => {
    const job = fc.record({
      amount: fc.integer({ min: 1, max: 3 }),
      reserves: fc.integer({ min: 1, max: 2 }),
      settle: fc.constantFrom('confirm', 'cancel', 'none'),
      settles: fc.integer({ min: 1, max: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 2 }),
        fc.array(job, { minLength: 1, maxLength: 6 }),
        async (limit, topUp, jobs) => {
          const s = await make();
          if (topUp) await s.topUp(user, 'colour', '2026-12', topUp, admin('top-up', '2026-12-01T00:00:00.000Z'));
          const over: string[] = [];
          const check = async () => {
            const [c] = await s.read(user, [{ quota: 'colour', periodKey: '2026-12' }]);
            if (c!.confirmed + c!.reserved > limit + topUp) over.push(JSON.stringify(c));
          };
          const accepted = await Promise.all(
            jobs.map(async (j, n) => {
              const id = `job-${n}`;
              const results = await Promise.all(
                Array.from({ length: j.reserves }, () => untilDone(() => s.reserve(user, id, [item(j.amount, limit)]))),
              );
              await check();
              const ok = results.some((r) => r.ok);
              if (ok && j.settle !== 'none')
                await Promise.all(
                  Array.from({ length: j.settles }, () =>
                    untilDone(() => (j.settle === 'confirm' ? s.confirm(user, id) : s.cancel(user, id))),
                  ),
                );
              await check();
              return ok ? j : undefined;
            }),
          );
          const sum = (settle: string) =>
            accepted.filter((j) => j?.settle === settle).reduce((total, j) => total + j!.amount, 0);
          const [final] = await s.read(user, [{ quota: 'colour', periodKey: '2026-12' }]);
          expect(over).toEqual([]);
          expect({ confirmed: final!.confirmed, reserved: final!.reserved }).toEqual({
            confirmed: sum('confirm'),
            reserved: sum('none'),
          });
        },
      ),
      { numRuns: options.propertyRuns },
    );
  });
}

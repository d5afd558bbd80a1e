import type { AdminAction, UsageCounter, UsageStore } from './quota-model';
import {
  byUserQuotaPeriod,
  checkTopUp,
  counterCharges,
  counterId,
  emptyCounter,
  firstOverLimit,
  inWindow,
  matches,
  withReserved,
  withReset,
  withSettled,
  withTopUp,
  type Charge,
} from './usage-counting';

/**
 * The usage store in memory, with the table store's semantics (the same counting rules, the same
 * contract tests): for unit tests, for replay (usage re-accumulated job by job) and the sandbox's
 * fakes. Each call changes its user's rows in one synchronous step, so it is atomic like a
 * transaction. Values are copied in and out: a caller cannot change what is stored.
 */
export function memoryUsageStore(): UsageStore {
  const counters = new Map<string, Map<string, UsageCounter>>(); // userKey → counterId → counter
  const charges = new Map<string, Map<string, Charge>>(); // userKey → jobId → charge
  const actions: AdminAction[] = [];
  const copy = <T>(value: T): T => structuredClone(value);

  const userCounters = (userKey: string) => {
    let rows = counters.get(userKey);
    if (!rows) counters.set(userKey, (rows = new Map()));
    return rows;
  };
  const userCharges = (userKey: string) => {
    let rows = charges.get(userKey);
    if (!rows) charges.set(userKey, (rows = new Map()));
    return rows;
  };
  const all = () => [...counters.values()].flatMap((rows) => [...rows.values()]);

  const settle = async (userKey: string, jobId: string, how: 'confirmed' | 'cancelled') => {
    await Promise.resolve(); // asynchronous like storage: callers cannot rely on it finishing in their turn
    const charge = charges.get(userKey)?.get(jobId);
    if (charge?.state !== 'reserved') return;
    const rows = userCounters(userKey);
    for (const part of counterCharges(userKey, jobId, charge.items)) {
      if (part.amount === 0) continue;
      const id = counterId(part.quota, part.periodKey);
      rows.set(id, withSettled(userKey, rows.get(id), part, how));
    }
    charge.state = how;
  };

  return {
    async read(userKey, periods) {
      await Promise.resolve();
      const rows = counters.get(userKey);
      return periods.map(
        ({ quota, periodKey }) =>
          copy(rows?.get(counterId(quota, periodKey))) ?? emptyCounter(userKey, quota, periodKey),
      );
    },
    async reserve(userKey, jobId, items, owner) {
      const parts = counterCharges(userKey, jobId, items);
      await Promise.resolve();
      const jobs = userCharges(userKey);
      if (jobs.has(jobId)) return { ok: true };
      const rows = userCounters(userKey);
      const verdict = firstOverLimit(parts, (part) => rows.get(counterId(part.quota, part.periodKey)));
      if (!verdict.ok) return verdict;
      for (const part of parts) {
        if (part.amount === 0) continue;
        const id = counterId(part.quota, part.periodKey);
        rows.set(id, withReserved(userKey, rows.get(id), part, owner));
      }
      jobs.set(jobId, { state: 'reserved', items: copy(items), at: new Date().toISOString() });
      return { ok: true };
    },
    confirm: (userKey, jobId) => settle(userKey, jobId, 'confirmed'),
    cancel: (userKey, jobId) => settle(userKey, jobId, 'cancelled'),
    async list(filter) {
      await Promise.resolve();
      return all()
        .filter((counter) => matches(counter, filter))
        .sort(byUserQuotaPeriod)
        .map(copy);
    },
    async topUp(userKey, quota, periodKey, amount, action) {
      checkTopUp(amount);
      await Promise.resolve();
      actions.push(copy({ ...action, userKey, quota, periodKey, amount }));
      const rows = userCounters(userKey);
      const id = counterId(quota, periodKey);
      const updated = withTopUp(rows.get(id) ?? emptyCounter(userKey, quota, periodKey), amount, action);
      rows.set(id, updated);
      return copy(updated);
    },
    async reset(filter, action) {
      await Promise.resolve();
      actions.push(copy({ ...action, ...filter }));
      let count = 0;
      for (const [userKey, rows] of counters) {
        if (filter.userKey !== undefined && filter.userKey !== userKey) continue;
        const id = counterId(filter.quota, filter.periodKey);
        const counter = rows.get(id);
        if (!counter) continue;
        rows.set(id, withReset(counter));
        count++;
      }
      return count;
    },
    async adminActions(filter) {
      await Promise.resolve();
      return inWindow(actions, filter).map(copy);
    },
  };
}

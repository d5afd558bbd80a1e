import { randomUUID } from 'node:crypto';
import { odata, RestError, type TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import { once } from '../storage/once';
import { isNotFound, missingAsUndefined } from '../storage/not-found';
import { tableKey } from '../storage/table-keys';
import type { AdminAction, ChargeItem, QuotaMeasure, UsageCounter, UsageStore } from './quota-model';
import {
  byUserQuotaPeriod,
  checkTopUp,
  counterCharges,
  emptyCounter,
  firstOverLimit,
  inWindow,
  UsageStoreBusyError,
  withReserved,
  withReset,
  withSettled,
  withTopUp,
  type Charge,
  type ChargeState,
  type CounterCharge,
} from './usage-counting';

/**
 * The usage store in Azure Tables. One partition per user, so a job's counters and its charge row
 * change in ONE entity-group transaction (all or nothing). Every change is conditional on the ETags
 * it read: when another job of the same user changed a counter in between, the transaction fails
 * with 412 (or 409 for a row both tried to create), and the call reads again and retries, a bounded
 * number of times, then throws UsageStoreBusyError (retryable), never an answer. Counts only: no
 * document content, no job names.
 *
 * Rows: PartitionKey `user:<userKey>`; counters `counter|<quota>|<periodKey>`, charges
 * `charge|<jobId>` (keys escaped with tableKey). Admin audit: PartitionKey `admin-audit:<yyyy-mm>`,
 * RowKey reverse time (newest first).
 */
export interface TableUsageStoreOptions {
  /** Attempts of one call against concurrent changes before UsageStoreBusyError (default 10). */
  maxAttempts?: number;
  /** Upper bound of the random pause before attempt n, times n, in ms (default 20). */
  backoffMs?: number;
}

interface CounterEntity {
  kind: 'counter';
  userKey: string;
  quota: string;
  periodKey: string;
  confirmed: number;
  reserved: number;
  topUp: number;
  limit?: number;
  measure?: string;
  periodLabel?: string;
  userPrincipalName?: string;
  viaGroups?: string;
}

interface ChargeEntity {
  kind: 'charge';
  jobId: string;
  state: ChargeState;
  items: string;
  at: string;
}

type Stored<T extends object> = TableEntity<T> & { etag: string };

const partitionOf = (userKey: string) => `user:${tableKey(userKey)}`;
const counterRow = (quota: string, periodKey: string) => `counter|${tableKey(quota)}|${tableKey(periodKey)}`;
const chargeRow = (jobId: string) => `charge|${tableKey(jobId)}`;
const LATEST = 9_999_999_999_999; // ms, year 2286: reverse-time row keys stay 13 digits

function toCounter(entity: CounterEntity): UsageCounter {
  return {
    userKey: entity.userKey,
    quota: entity.quota,
    periodKey: entity.periodKey,
    confirmed: entity.confirmed,
    reserved: entity.reserved,
    topUp: entity.topUp,
    ...(entity.limit !== undefined ? { limit: entity.limit } : {}),
    ...(entity.measure ? { measure: entity.measure as QuotaMeasure } : {}),
    ...(entity.periodLabel ? { periodLabel: entity.periodLabel } : {}),
    ...(entity.userPrincipalName ? { userPrincipalName: entity.userPrincipalName } : {}),
    ...(entity.viaGroups ? { viaGroups: JSON.parse(entity.viaGroups) as string[] } : {}),
  };
}

function toEntity(counter: UsageCounter): TableEntity<CounterEntity> {
  return {
    partitionKey: partitionOf(counter.userKey),
    rowKey: counterRow(counter.quota, counter.periodKey),
    kind: 'counter',
    userKey: counter.userKey,
    quota: counter.quota,
    periodKey: counter.periodKey,
    confirmed: counter.confirmed,
    reserved: counter.reserved,
    topUp: counter.topUp,
    ...(counter.limit !== undefined ? { limit: counter.limit } : {}),
    ...(counter.measure ? { measure: counter.measure } : {}),
    ...(counter.periodLabel ? { periodLabel: counter.periodLabel } : {}),
    ...(counter.userPrincipalName ? { userPrincipalName: counter.userPrincipalName } : {}),
    ...(counter.viaGroups ? { viaGroups: JSON.stringify(counter.viaGroups) } : {}),
  };
}

/** Another writer got there first: read again and retry (412 ETag, 409 created meanwhile, 404 deleted). */
const isConflict = (error: unknown) =>
  error instanceof RestError && (error.statusCode === 412 || error.statusCode === 409 || error.statusCode === 404);

/** Replace a row read with its ETag (fails if it changed since), or create one that was not there. */
function write(entity: TableEntity<object>, read: { etag: string } | undefined): TransactionAction {
  return read ? ['update', entity, 'Replace', { etag: read.etag }] : ['create', entity];
}

export function tableUsageStore(table: TableClient, options: TableUsageStoreOptions = {}): UsageStore {
  const ensureTable = once(() => table.createTable());
  const maxAttempts = options.maxAttempts ?? 10;
  const backoffMs = options.backoffMs ?? 20;

  /** Runs `attempt` until it does not meet a concurrent change; busy after maxAttempts. */
  async function withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    await ensureTable();
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (!isConflict(error)) throw error;
        if (n >= maxAttempts)
          throw new UsageStoreBusyError(
            `The quota usage of ${what} kept changing under ${maxAttempts} attempts; try again.`,
          );
        await new Promise((resolve) => setTimeout(resolve, Math.random() * backoffMs * n));
      }
    }
  }

  const getCounter = (userKey: string, quota: string, periodKey: string) =>
    table
      .getEntity<CounterEntity>(partitionOf(userKey), counterRow(quota, periodKey))
      .then((e) => e as Stored<CounterEntity>)
      .catch(missingAsUndefined);
  const getCharge = (userKey: string, jobId: string) =>
    table
      .getEntity<ChargeEntity>(partitionOf(userKey), chargeRow(jobId))
      .then((e) => e as Stored<ChargeEntity>)
      .catch(missingAsUndefined);
  const countersOf = (userKey: string, parts: CounterCharge[]) =>
    Promise.all(parts.map((part) => getCounter(userKey, part.quota, part.periodKey)));

  /** A read of a table that does not exist yet is an empty result, not an error. */
  async function listed<T extends object>(filter: string): Promise<Stored<T>[]> {
    const out: Stored<T>[] = [];
    try {
      for await (const entity of table.listEntities<T>({ queryOptions: { filter } })) out.push(entity as Stored<T>);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    return out;
  }

  async function audit(action: AdminAction): Promise<void> {
    const at = Date.parse(action.at);
    if (Number.isNaN(at)) throw new Error(`The admin action's time "${action.at}" is not an ISO time.`);
    await ensureTable();
    await table.createEntity({
      partitionKey: `admin-audit:${new Date(at).toISOString().slice(0, 7)}`,
      rowKey: `${String(LATEST - at).padStart(13, '0')}|${randomUUID()}`,
      kind: 'admin',
      action: JSON.stringify(action),
    });
  }

  async function settle(userKey: string, jobId: string, how: 'confirmed' | 'cancelled'): Promise<void> {
    await withRetries(`job ${jobId}`, async () => {
      const charge = await getCharge(userKey, jobId);
      if (charge?.state !== 'reserved') return; // unknown, or settled already: nothing to do
      const items = JSON.parse(charge.items) as ChargeItem[];
      const parts = counterCharges(userKey, jobId, items).filter((part) => part.amount > 0);
      const read = await countersOf(userKey, parts);
      const actions: TransactionAction[] = parts.map((part, i) =>
        write(toEntity(withSettled(userKey, read[i] && toCounter(read[i]), part, how)), read[i]),
      );
      actions.push(['update', { ...charge, state: how }, 'Replace', { etag: charge.etag }]);
      await table.submitTransaction(actions);
    });
  }

  async function list(filter: { quota?: string; periodKey?: string; userKey?: string } = {}) {
    const clauses = [odata`kind eq ${'counter'}`];
    if (filter.userKey !== undefined) clauses.push(odata`PartitionKey eq ${partitionOf(filter.userKey)}`);
    if (filter.quota !== undefined) clauses.push(odata`quota eq ${filter.quota}`);
    if (filter.periodKey !== undefined) clauses.push(odata`periodKey eq ${filter.periodKey}`);
    const rows = await listed<CounterEntity>(clauses.join(' and '));
    return rows.map(toCounter).sort(byUserQuotaPeriod);
  }

  return {
    async read(userKey, periods) {
      const rows = await Promise.all(periods.map((p) => getCounter(userKey, p.quota, p.periodKey)));
      return rows.map((row, i) =>
        row ? toCounter(row) : emptyCounter(userKey, periods[i]!.quota, periods[i]!.periodKey),
      );
    },
    async reserve(userKey, jobId, items, owner) {
      const parts = counterCharges(userKey, jobId, items);
      return withRetries(`job ${jobId}`, async () => {
        if (await getCharge(userKey, jobId)) return { ok: true }; // charged once already, whatever its state
        const charged = parts.filter((part) => part.amount > 0);
        const read = await countersOf(userKey, charged);
        const verdict = firstOverLimit(charged, (part) => {
          const row = read[charged.indexOf(part)];
          return row && toCounter(row);
        });
        if (!verdict.ok) return verdict;
        const actions: TransactionAction[] = charged.map((part, i) =>
          write(toEntity(withReserved(userKey, read[i] && toCounter(read[i]), part, owner)), read[i]),
        );
        const charge: Charge = { state: 'reserved', items, at: new Date().toISOString() };
        actions.push([
          'create',
          {
            partitionKey: partitionOf(userKey),
            rowKey: chargeRow(jobId),
            kind: 'charge',
            jobId,
            state: charge.state,
            items: JSON.stringify(charge.items),
            at: charge.at,
          } satisfies TableEntity<ChargeEntity>,
        ]);
        await table.submitTransaction(actions);
        return { ok: true };
      });
    },
    confirm: (userKey, jobId) => settle(userKey, jobId, 'confirmed'),
    cancel: (userKey, jobId) => settle(userKey, jobId, 'cancelled'),
    list,
    async topUp(userKey, quota, periodKey, amount, action) {
      checkTopUp(amount);
      // Recorded before the change: no change is ever made that the audit does not show.
      await audit({ ...action, userKey, quota, periodKey, amount });
      return withRetries(`${quota} ${periodKey}`, async () => {
        const row = await getCounter(userKey, quota, periodKey);
        const updated = withTopUp(row ? toCounter(row) : emptyCounter(userKey, quota, periodKey), amount, action);
        await table.submitTransaction([write(toEntity(updated), row)]);
        return updated;
      });
    },
    async reset(filter, action) {
      await audit({ ...action, ...filter });
      const counters = await list(filter);
      for (const counter of counters)
        await withRetries(`${filter.quota} ${filter.periodKey}`, async () => {
          const row = await getCounter(counter.userKey, counter.quota, counter.periodKey);
          if (!row) return;
          await table.submitTransaction([write(toEntity(withReset(toCounter(row))), row)]);
        });
      return counters.length;
    },
    async adminActions(filter = {}) {
      const rows = await listed<{ action: string }>(
        odata`PartitionKey ge ${'admin-audit:'} and PartitionKey lt ${'admin-audit;'}`,
      );
      return inWindow(
        rows.map((row) => JSON.parse(row.action) as AdminAction),
        filter,
      );
    },
  };
}

import { RestError, odata, type TableClient } from '@azure/data-tables';
import type { DelegateRef } from '../holds/hold-store';
import { once } from '../storage/once';
import { userKey } from '../storage/table-keys';

/**
 * Who may release whose held jobs (RELEASE_GATE_DELEGATION_TABLE). Three kinds of row, each in the
 * partition of the user it is read for, keyed by object ids (`userKey`), never by UPN:
 * - `owner:<owner>` / `<delegate>`: the owner's delegates. The only row that grants anything.
 * - `of:<delegate>` / `<owner>`: the reverse index, so a delegate can list whose jobs they may see.
 *   It grants nothing on its own: every use is checked against the owner's row.
 * - `handed:<colleague>` / `<taskId>`: jobs handed to a colleague, for their list. The hold's own
 *   `handedTo` is what grants; a row whose hold no longer names the colleague is ignored.
 */
export interface DelegationStore {
  /** The owner's delegates, as named. */
  delegatesOf(ownerId: string): Promise<DelegateRef[]>;
  /** The owners who named this user a delegate (checked against each owner's own row). */
  ownersOf(delegateId: string): Promise<DelegateRef[]>;
  /** Whether the owner has this delegate now (read at the moment of each action). */
  isDelegate(ownerId: string, delegateId: string): Promise<boolean>;
  addDelegate(owner: DelegateRef, delegate: DelegateRef): Promise<void>;
  /** False when they were not a delegate. */
  removeDelegate(ownerId: string, delegateId: string): Promise<boolean>;
  /** Notes that a job was handed to a colleague (the hold's `handedTo` says the same). */
  noteHandedOver(colleagueId: string, taskId: string, owner: DelegateRef): Promise<void>;
  forgetHandedOver(colleagueId: string, taskId: string): Promise<void>;
  /** Jobs noted as handed to this colleague, with their owner. */
  handedTo(colleagueId: string): Promise<{ taskId: string; owner: DelegateRef }[]>;
}

/** The most delegates one owner may name: a page of them, not a directory. */
export const MAX_DELEGATES = 20;

/** One row's content: the user it names (and, for a hand-over, the owner). */
interface Row {
  ref: DelegateRef;
}

/** The few row operations the store needs; a table or memory provides them. */
interface Rows {
  get(partition: string, row: string): Promise<Row | undefined>;
  put(partition: string, row: string, value: Row): Promise<void>;
  /** False when there was no such row. */
  remove(partition: string, row: string): Promise<boolean>;
  list(partition: string): Promise<{ row: string; value: Row }[]>;
}

const key = (id: string) => userKey({ id });
const ownerPartition = (ownerId: string) => `owner:${key(ownerId)}`;
const reversePartition = (delegateId: string) => `of:${key(delegateId)}`;
const handedPartition = (colleagueId: string) => `handed:${key(colleagueId)}`;

function delegationStore(rows: Rows): DelegationStore {
  return {
    async delegatesOf(ownerId) {
      return (await rows.list(ownerPartition(ownerId))).map((r) => r.value.ref);
    },
    async ownersOf(delegateId) {
      const owners: DelegateRef[] = [];
      for (const { value } of await rows.list(reversePartition(delegateId)))
        if (await rows.get(ownerPartition(value.ref.id), key(delegateId))) owners.push(value.ref);
      return owners;
    },
    async isDelegate(ownerId, delegateId) {
      return !!(await rows.get(ownerPartition(ownerId), key(delegateId)));
    },
    async addDelegate(owner, delegate) {
      // The reverse index first: a failure between the two leaves an index row that grants nothing.
      await rows.put(reversePartition(delegate.id), key(owner.id), { ref: owner });
      await rows.put(ownerPartition(owner.id), key(delegate.id), { ref: delegate });
    },
    async removeDelegate(ownerId, delegateId) {
      // The granting row first: the revocation holds from this moment, whatever happens next.
      const removed = await rows.remove(ownerPartition(ownerId), key(delegateId));
      await rows.remove(reversePartition(delegateId), key(ownerId));
      return removed;
    },
    async noteHandedOver(colleagueId, taskId, owner) {
      await rows.put(handedPartition(colleagueId), taskId, { ref: owner });
    },
    async forgetHandedOver(colleagueId, taskId) {
      await rows.remove(handedPartition(colleagueId), taskId);
    },
    async handedTo(colleagueId) {
      return (await rows.list(handedPartition(colleagueId))).map((r) => ({ taskId: r.row, owner: r.value.ref }));
    },
  };
}

interface DelegationEntity {
  partitionKey: string;
  rowKey: string;
  ref: string;
}

export function tableDelegationStore(table: TableClient): DelegationStore {
  const ensureTable = once(() => table.createTable());
  const notFound = (error: unknown) => error instanceof RestError && error.statusCode === 404;
  return delegationStore({
    async get(partition, row) {
      await ensureTable();
      try {
        const entity = await table.getEntity<DelegationEntity>(partition, row);
        return { ref: JSON.parse(entity.ref) as DelegateRef };
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },
    async put(partition, row, value) {
      await ensureTable();
      await table.upsertEntity<DelegationEntity>(
        { partitionKey: partition, rowKey: row, ref: JSON.stringify(value.ref) },
        'Replace',
      );
    },
    async remove(partition, row) {
      await ensureTable();
      try {
        await table.deleteEntity(partition, row);
        return true;
      } catch (error) {
        if (notFound(error)) return false;
        throw error;
      }
    },
    async list(partition) {
      await ensureTable();
      const out: { row: string; value: Row }[] = [];
      const filter = odata`PartitionKey eq ${partition}`;
      for await (const entity of table.listEntities<DelegationEntity>({ queryOptions: { filter } }))
        out.push({ row: entity.rowKey, value: { ref: JSON.parse(entity.ref) as DelegateRef } });
      return out;
    },
  });
}

/** In memory, for unit tests and the in-process demo. */
export function memoryDelegationStore(): DelegationStore {
  const data = new Map<string, Map<string, Row>>();
  const partition = (name: string) => {
    let rows = data.get(name);
    if (!rows) data.set(name, (rows = new Map()));
    return rows;
  };
  return delegationStore({
    get: async (p, r) => structuredClone(partition(p).get(r)),
    put: async (p, r, value) => void partition(p).set(r, structuredClone(value)),
    remove: async (p, r) => partition(p).delete(r),
    list: async (p) => [...partition(p)].map(([row, value]) => ({ row, value: structuredClone(value) })),
  });
}

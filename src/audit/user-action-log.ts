import { odata, type TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { once } from '../storage/once';

/**
 * What users did on the release page besides releasing and deleting (those end a job and are in the
 * task's audit record): keep a job longer, name or revoke a delegate, hand a job to a colleague or
 * take it back, a delegate's release. Partitioned by day (RELEASE_GATE_USER_ACTION_TABLE).
 */
export type UserAction =
  'kept-longer' | 'delegate-added' | 'delegate-removed' | 'job-handed-over' | 'job-taken-back' | 'released-for-owner';

export interface UserActionEntry {
  at: string;
  action: UserAction;
  /** Who did it (from their token). */
  actor: { id: string; userPrincipalName?: string };
  /** Whose job or delegation it concerns, when not the actor's own. */
  owner?: { id?: string; userPrincipalName?: string };
  /** The colleague named, revoked, handed a job or taken it from. */
  delegate?: { id: string; userPrincipalName?: string };
  taskId?: string;
  jobId?: string;
  printerId?: string;
  /** One line for people, e.g. "kept until 2026-12-03T18:00:00Z". No document content. */
  detail?: string;
}

export interface UserActionLog {
  write(entry: UserActionEntry): Promise<void>;
  /** Entries from `from` (inclusive) to `to` (exclusive), oldest first. */
  list(from: Date, to: Date): Promise<UserActionEntry[]>;
}

const day = (iso: string) => iso.slice(0, 10);

export function tableUserActionLog(table: TableClient): UserActionLog {
  const ensureTable = once(() => table.createTable());
  return {
    async write(entry) {
      await ensureTable();
      // Row keys sort by time; the random tail keeps two entries of one millisecond apart.
      await table.createEntity({
        partitionKey: day(entry.at),
        rowKey: `${entry.at}_${randomUUID()}`,
        action: entry.action,
        actor: entry.actor.id,
        entry: JSON.stringify(entry),
      });
    },
    async list(from, to) {
      await ensureTable();
      const out: UserActionEntry[] = [];
      const filter = odata`PartitionKey ge ${day(from.toISOString())} and PartitionKey le ${day(to.toISOString())}`;
      for await (const entity of table.listEntities<{ entry: string }>({ queryOptions: { filter } })) {
        const entry = JSON.parse(entity.entry) as UserActionEntry;
        if (entry.at >= from.toISOString() && entry.at < to.toISOString()) out.push(entry);
      }
      return out.sort((a, b) => a.at.localeCompare(b.at));
    },
  };
}

/** In memory, for tests and the in-process sandbox parts that need no table. */
export function memoryUserActionLog(): UserActionLog & { entries: UserActionEntry[] } {
  const entries: UserActionEntry[] = [];
  return {
    entries,
    async write(entry) {
      entries.push(structuredClone(entry));
    },
    async list(from, to) {
      return entries
        .filter((e) => e.at >= from.toISOString() && e.at < to.toISOString())
        .sort((a, b) => a.at.localeCompare(b.at));
    },
  };
}

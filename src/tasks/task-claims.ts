import { randomUUID } from 'node:crypto';
import { RestError, type TableClient } from '@azure/data-tables';
import { once } from '../storage/once';

/**
 * One claim per print task, shared by every instance through Azure Tables: only the run holding it
 * may act on the task. A claim is a row inserted once (the first run wins the insert) and then a
 * lease updated only with its ETag, so two runs can never both believe they hold it. A run that dies
 * stops renewing: its lease lapses and the next run takes the task over. A finished task's claim
 * says `done`, with its outcome, for good.
 *
 * Row: table RELEASE_GATE_TASK_INDEX_TABLE, PartitionKey `claim:<task definition id, lower case>`,
 * RowKey `<task id>`; columns state (`running` | `done`), owner (the run's id), leaseUntil (ISO),
 * receivedAt (the journal key of the first run, kept on take-over), claimedAt, takeovers, outcome.
 */
export interface TaskClaims {
  acquire(taskDefinitionId: string, taskId: string, receivedAt: string): Promise<ClaimAttempt>;
  /** The claim as stored, for tools and tests. */
  read(taskDefinitionId: string, taskId: string): Promise<StoredClaim | undefined>;
  readonly leaseMs: number;
}

export type ClaimAttempt =
  | { kind: 'acquired'; lease: TaskLease; takeover: boolean }
  | { kind: 'done'; outcome: string }
  | { kind: 'busy'; leaseUntil: Date };

/** A held claim. Every write is conditional on the ETag of our last write. */
export interface TaskLease {
  /** The journal key of the task: the `receivedAt` of the run that first claimed it. */
  readonly receivedAt: string;
  /** Until when the lease is ours, as far as this run knows (it renews it). */
  validUntil(): number;
  /** Extends the lease; `lost` when another run has taken the task over. Storage errors are thrown. */
  renew(): Promise<'renewed' | 'lost'>;
  /** Marks the task done for good, with its outcome. */
  finish(outcome: string): Promise<'finished' | 'lost'>;
  /** Gives the claim up (the task was not finished: a retry or another run may take it now). */
  release(): Promise<void>;
}

export interface StoredClaim {
  state: 'running' | 'done';
  owner: string;
  leaseUntil: string;
  receivedAt: string;
  claimedAt: string;
  takeovers: number;
  outcome?: string;
}

export const claimPartition = (taskDefinitionId: string) => `claim:${taskDefinitionId.toLowerCase()}`;

const statusOf = (error: unknown) => (error instanceof RestError ? error.statusCode : undefined);

export function tableTaskClaims(
  table: TableClient,
  options: { leaseSeconds: number; clock?: () => number },
): TaskClaims {
  const ensureTable = once(() => table.createTable());
  const clock = options.clock ?? Date.now;
  const leaseMs = options.leaseSeconds * 1000;

  async function read(taskDefinitionId: string, taskId: string) {
    try {
      const entity = await table.getEntity<StoredClaim>(claimPartition(taskDefinitionId), taskId);
      return entity;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  function leaseFor(partitionKey: string, rowKey: string, receivedAt: string, etag: string, until: number): TaskLease {
    let current = { etag, until };
    // One write at a time, each with the ETag of the one before: a renewal racing another would
    // otherwise see its own run's write as a take-over.
    let queue: Promise<unknown> = Promise.resolve();
    const write = (fields: Record<string, unknown>): Promise<'ok' | 'lost'> => {
      const next = queue.then(async () => {
        try {
          const { etag: written } = await table.updateEntity({ partitionKey, rowKey, ...fields }, 'Merge', {
            etag: current.etag,
          });
          current = { etag: written ?? current.etag, until: current.until };
          return 'ok' as const;
        } catch (error) {
          const status = statusOf(error);
          if (status === 412 || status === 404) return 'lost' as const;
          throw error;
        }
      });
      queue = next.catch(() => undefined);
      return next;
    };
    return {
      receivedAt,
      validUntil: () => current.until,
      async renew() {
        const until = clock() + leaseMs;
        const result = await write({ leaseUntil: new Date(until).toISOString() });
        if (result === 'ok') current.until = until;
        return result === 'ok' ? 'renewed' : 'lost';
      },
      async finish(outcome) {
        const now = new Date(clock()).toISOString();
        const result = await write({ state: 'done', outcome, leaseUntil: now, finishedAt: now });
        current.until = 0;
        return result === 'ok' ? 'finished' : 'lost';
      },
      async release() {
        current.until = 0;
        await write({ leaseUntil: new Date(clock()).toISOString(), owner: '' });
      },
    };
  }

  return {
    leaseMs,
    async read(taskDefinitionId, taskId) {
      await ensureTable();
      const entity = await read(taskDefinitionId, taskId);
      if (!entity) return undefined;
      const { state, owner, leaseUntil, receivedAt, claimedAt, takeovers, outcome } = entity;
      return { state, owner, leaseUntil, receivedAt, claimedAt, takeovers, ...(outcome ? { outcome } : {}) };
    },
    async acquire(taskDefinitionId, taskId, receivedAt) {
      await ensureTable();
      const partitionKey = claimPartition(taskDefinitionId);
      const owner = randomUUID();
      for (let attempt = 0; attempt < 3; attempt++) {
        const now = clock();
        const until = now + leaseMs;
        try {
          const created = await table.createEntity({
            partitionKey,
            rowKey: taskId,
            state: 'running',
            owner,
            leaseUntil: new Date(until).toISOString(),
            receivedAt,
            claimedAt: new Date(now).toISOString(),
            takeovers: 0,
          });
          return {
            kind: 'acquired',
            takeover: false,
            lease: leaseFor(partitionKey, taskId, receivedAt, created.etag!, until),
          };
        } catch (error) {
          if (statusOf(error) !== 409) throw error;
        }
        const existing = await read(taskDefinitionId, taskId);
        if (!existing) continue; // removed meanwhile: insert again
        if (existing.state === 'done') return { kind: 'done', outcome: existing.outcome ?? 'done' };
        const leaseUntil = Date.parse(existing.leaseUntil);
        if (leaseUntil > now) return { kind: 'busy', leaseUntil: new Date(leaseUntil) };
        // The holder stopped renewing (it died, or gave the claim up): take over, if nobody else did first.
        try {
          const updated = await table.updateEntity(
            {
              partitionKey,
              rowKey: taskId,
              owner,
              leaseUntil: new Date(until).toISOString(),
              takeovers: (existing.takeovers ?? 0) + 1,
            },
            'Merge',
            { etag: existing.etag },
          );
          const journalKey = existing.receivedAt || receivedAt;
          return {
            kind: 'acquired',
            takeover: true,
            lease: leaseFor(partitionKey, taskId, journalKey, updated.etag!, until),
          };
        } catch (error) {
          if (statusOf(error) !== 412 && statusOf(error) !== 404) throw error;
        }
      }
      // Lost every race: another run holds it now.
      return { kind: 'busy', leaseUntil: new Date(clock() + leaseMs) };
    },
  };
}

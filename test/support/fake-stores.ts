import { randomUUID } from 'node:crypto';
import type { AuditLog, AuditRecord } from '../../src/audit/audit-log';
import { ownsHold, type HeldJob, type HoldStore } from '../../src/holds/hold-store';
import type { PrintTaskMessage } from '../../src/queue/print-task-message';
import type { TaskQueue } from '../../src/queue/task-queue';
import type { ClaimAttempt, StoredClaim, TaskClaims, TaskLease } from '../../src/tasks/task-claims';
import type { TaskIndex, TaskIndexEntry, TaskIndexStatus } from '../../src/tasks/task-index';

/**
 * In-memory stand-ins for the processor's stores, with the table versions' rules: the audit log is
 * keyed by (day of receivedAt, task id); a hold added twice keeps the first; a claim is inserted
 * once and then changed only by the run whose write came last (an ETag, here a version number).
 */

export function fakeAuditLog(): AuditLog & { records: Map<string, AuditRecord> } {
  const records = new Map<string, AuditRecord>();
  const key = (receivedAt: string, taskId: string) => `${receivedAt.slice(0, 10)}/${taskId}`;
  return {
    records,
    async find(receivedAt, taskId) {
      const found = records.get(key(receivedAt, taskId));
      return found && structuredClone(found);
    },
    async write(record) {
      records.set(key(record.receivedAt, record.taskId), structuredClone(record));
    },
  };
}

export function fakeHoldStore(): HoldStore & { held: HeldJob[] } {
  const held: HeldJob[] = [];
  const find = (owner: Parameters<HoldStore['get']>[0], taskId: string) => {
    const asker = typeof owner === 'string' ? { userPrincipalName: owner } : owner;
    return held.findIndex((h) => h.taskId === taskId && ownsHold(asker, h));
  };
  return {
    held,
    async add(job) {
      const existing = held.find((h) => h.taskId === job.taskId);
      if (existing) return existing;
      held.push(job);
      return job;
    },
    async get(owner, taskId) {
      const index = find(owner, taskId);
      return index < 0 ? undefined : held[index];
    },
    async listExpired(now, limit) {
      return held.filter((h) => Date.parse(h.expiresAt) <= now.getTime()).slice(0, limit);
    },
    async listByOwner(owner) {
      const asker = typeof owner === 'string' ? { userPrincipalName: owner } : owner;
      return held.filter((h) => ownsHold(asker, h));
    },
    async claim(owner, taskId) {
      const index = find(owner, taskId);
      return index < 0 ? undefined : held.splice(index, 1)[0];
    },
    async update(owner, taskId, change) {
      const index = find(owner, taskId);
      if (index < 0) return undefined;
      const after = change(structuredClone(held[index]!));
      if (after) held[index] = after;
      return held[index];
    },
    async recoverLostClaims() {
      return [];
    },
  };
}

export function fakeTaskIndex(): TaskIndex & { entries: Map<string, TaskIndexEntry> } {
  const entries = new Map<string, TaskIndexEntry>();
  const key = (definitionId: string, taskId: string) => `${definitionId.toLowerCase()}/${taskId}`;
  return {
    entries,
    async get(definitionId, taskId) {
      return entries.get(key(definitionId, taskId));
    },
    async mark(taskDefinitionId, taskId, status: TaskIndexStatus, now, outcome) {
      const existing = entries.get(key(taskDefinitionId, taskId));
      entries.set(key(taskDefinitionId, taskId), {
        taskDefinitionId,
        taskId,
        status,
        firstSeenAt: existing?.firstSeenAt ?? now.toISOString(),
        updatedAt: now.toISOString(),
        ...((outcome ?? existing?.outcome) ? { outcome: outcome ?? existing?.outcome } : {}),
      });
    },
  };
}

/** Claims as tableTaskClaims keeps them, in memory; `clock` defaults to Date.now (fake timers move it). */
export function fakeTaskClaims(
  options: { leaseSeconds?: number; clock?: () => number } = {},
): TaskClaims & { rows: Map<string, StoredClaim & { version: number }> } {
  const rows = new Map<string, StoredClaim & { version: number }>();
  const leaseMs = (options.leaseSeconds ?? 60) * 1000;
  const clock = options.clock ?? (() => Date.now());
  const key = (definitionId: string, taskId: string) => `${definitionId.toLowerCase()}/${taskId}`;

  function lease(rowKey: string, receivedAt: string, version: number, until: number): TaskLease {
    let current = { version, until };
    const write = (fields: Partial<StoredClaim>): 'ok' | 'lost' => {
      const row = rows.get(rowKey);
      if (!row || row.version !== current.version) return 'lost';
      Object.assign(row, fields, { version: row.version + 1 });
      current = { version: row.version, until: current.until };
      return 'ok';
    };
    return {
      receivedAt,
      validUntil: () => current.until,
      async renew() {
        const next = clock() + leaseMs;
        const result = write({ leaseUntil: new Date(next).toISOString() });
        if (result === 'ok') current.until = next;
        return result === 'ok' ? 'renewed' : 'lost';
      },
      async finish(outcome) {
        const now = new Date(clock()).toISOString();
        const result = write({ state: 'done', outcome, leaseUntil: now });
        current.until = 0;
        return result === 'ok' ? 'finished' : 'lost';
      },
      async release() {
        current.until = 0;
        write({ leaseUntil: new Date(clock()).toISOString(), owner: '' });
      },
    };
  }

  return {
    rows,
    leaseMs,
    async read(definitionId, taskId) {
      const row = rows.get(key(definitionId, taskId));
      if (!row) return undefined;
      const { version: _version, ...claim } = row;
      return claim;
    },
    async acquire(definitionId, taskId, receivedAt): Promise<ClaimAttempt> {
      const rowKey = key(definitionId, taskId);
      const now = clock();
      const until = now + leaseMs;
      const owner = randomUUID();
      const existing = rows.get(rowKey);
      if (!existing) {
        rows.set(rowKey, {
          state: 'running',
          owner,
          leaseUntil: new Date(until).toISOString(),
          receivedAt,
          claimedAt: new Date(now).toISOString(),
          takeovers: 0,
          version: 1,
        });
        return { kind: 'acquired', takeover: false, lease: lease(rowKey, receivedAt, 1, until) };
      }
      if (existing.state === 'done') return { kind: 'done', outcome: existing.outcome ?? 'done' };
      const leaseUntil = Date.parse(existing.leaseUntil);
      if (leaseUntil > now) return { kind: 'busy', leaseUntil: new Date(leaseUntil) };
      Object.assign(existing, {
        owner,
        leaseUntil: new Date(until).toISOString(),
        takeovers: existing.takeovers + 1,
        version: existing.version + 1,
      });
      const journalKey = existing.receivedAt || receivedAt;
      return { kind: 'acquired', takeover: true, lease: lease(rowKey, journalKey, existing.version, until) };
    },
  };
}

export function fakeTaskQueue(): TaskQueue & { sent: { message: PrintTaskMessage; delaySeconds?: number }[] } {
  const sent: { message: PrintTaskMessage; delaySeconds?: number }[] = [];
  return {
    sent,
    async send(messages, _signal, options = {}) {
      for (const message of messages) sent.push({ message, delaySeconds: options.delaySeconds });
    },
  };
}

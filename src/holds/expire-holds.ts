import type { AuditLog } from '../audit/audit-log';
import { classifyGraphError } from '../graph/graph-errors';
import type { PrintApi } from '../graph/print-api';
import { describeError, type Log } from '../observability/log';
import { closeTaskIfOpen } from '../processor/fail-safe';
import type { TaskIndex } from '../tasks/task-index';
import type { HoldStore } from './hold-store';

export interface ExpiryReport {
  expired: number;
  released: number;
  denied: number;
  retryLater: number;
}

/**
 * Ends holds past their expiry with their expiry action, so nothing stays held forever. Each
 * hold is claimed first (only one runner ends it); if Graph fails transiently it is put back and
 * the next run tries again.
 */
export async function expireHolds(
  deps: { api: PrintApi; holds: HoldStore; audit: AuditLog; tasks: TaskIndex; log: Log; now?: () => Date },
  limit = 200,
): Promise<ExpiryReport> {
  const now = (deps.now ?? (() => new Date()))();
  const report: ExpiryReport = { expired: 0, released: 0, denied: 0, retryLater: 0 };
  for (const held of await deps.holds.listExpired(now, limit)) {
    const claimed = await deps.holds.claim(held.ownerUpn, held.taskId);
    if (!claimed) continue;
    const log = deps.log.with({ correlationId: claimed.correlationId, taskId: claimed.taskId });
    try {
      if (claimed.onExpiry === 'release') {
        await closeTaskIfOpen(deps.api, claimed, 'completed', 'Release Gate: hold expired, released', log);
        report.released++;
      } else {
        const reason = 'Your held print job expired before it was released at a printer.';
        await deps.api.abortJob(claimed.printerId, claimed.jobId, reason).catch((error: unknown) => {
          const kind = classifyGraphError(error).kind;
          if (kind !== 'not-found' && kind !== 'conflict') throw error;
        });
        await closeTaskIfOpen(deps.api, claimed, 'aborted', reason, log);
        report.denied++;
      }
      report.expired++;
      await deps.tasks.mark(claimed.taskDefinitionId, claimed.taskId, 'done', now, 'hold-expired');
      const prior = await deps.audit.find(claimed.receivedAt, claimed.taskId);
      if (prior) {
        await deps.audit.write({
          ...prior,
          outcome: 'hold-expired',
          detail: `expired at ${claimed.expiresAt}; ${claimed.onExpiry === 'release' ? 'released' : 'denied'}`,
          completedAt: now.toISOString(),
        });
      }
      log.info('hold.expired', { action: claimed.onExpiry, jobId: claimed.jobId, printerId: claimed.printerId });
    } catch (error) {
      await deps.holds.add(claimed);
      report.retryLater++;
      log.warn('hold.expiry-failed', describeError(error));
    }
  }
  return report;
}

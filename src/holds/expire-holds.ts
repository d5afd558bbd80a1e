import type { AuditLog } from '../audit/audit-log';
import { classifyGraphError } from '../graph/graph-errors';
import type { PrintApi } from '../graph/print-api';
import { describeError, type Log } from '../observability/log';
import { abortJobAndCloseTask, closeTaskIfOpen } from '../graph/close-task';
import { printerKindsFor } from '../graph/printer-kinds';
import type { TaskIndex } from '../tasks/task-index';
import { tellHoldOwner } from './hold-messages';
import { ownerOf, type HeldJob, type HoldStore } from './hold-store';
import type { UsageStore } from '../quota/quota-model';
import { settleCharges } from '../quota/settle-charges';
import type { MessageOutbox } from '../messages/message-model';
import { sendExpiryWarnings, type ExpiryWarningOptions } from './expiry-warnings';

export interface ExpiryReport {
  expired: number;
  released: number;
  denied: number;
  /** Held jobs Universal Print had already deleted: the hold ended as `hold-vanished`. */
  vanished: number;
  retryLater: number;
  /** Holds lost by a claimant that died between claim and act, held again. */
  recovered: number;
  /** Owners warned that a hold expires soon (expiry-warning messages posted). */
  warned: number;
}

export const EXPIRY_REASON = 'Your held print job expired before it was released at a printer.';
/** What an owner's `expired` message says when the expiry printed the job, and `deleted` when it was gone. */
const EXPIRED_RELEASED_MESSAGE = 'Its hold ended and, as its policy says, it was printed where it was sent.';
const VANISHED_MESSAGE = 'Universal Print deleted the job while it was held; please print it again.';

/**
 * Ends holds past their expiry with their expiry action, so nothing stays held forever. Each
 * hold is claimed first (only one runner ends it); if Graph fails transiently it is put back and
 * the next run tries again; if the runner dies instead, the claim is recovered by a later run. `release` completes the task only on a physical printer (the job
 * prints where it was sent); on a pull queue, where nothing would come out, the job is aborted
 * with the expiry reason like `deny`. A job Universal Print already deleted ends as vanished.
 */
export async function expireHolds(
  deps: {
    api: PrintApi;
    holds: HoldStore;
    audit: AuditLog;
    tasks: TaskIndex;
    log: Log;
    now?: () => Date;
    usageStore?: UsageStore;
    /** Tells owners their hold expired or Universal Print deleted the job (kinds `expired`, `deleted`, `expiry-warning`). */
    messages?: MessageOutbox;
    /** Set (with `messages` wanting expiry-warning): owners are warned before their holds expire. */
    expiryWarnings?: ExpiryWarningOptions;
  },
  limit = 200,
): Promise<ExpiryReport> {
  const now = (deps.now ?? (() => new Date()))();
  const report: ExpiryReport = {
    expired: 0,
    released: 0,
    denied: 0,
    vanished: 0,
    retryLater: 0,
    recovered: 0,
    warned: 0,
  };
  // First, holds whose claimant died between claim and act: held again (and expired below if due).
  const recovered = await deps.holds.recoverLostClaims(now, async (job) => {
    try {
      return (await deps.api.getTask(job.taskDefinitionId, job.taskId)).status.state === 'processing';
    } catch (error) {
      if (classifyGraphError(error).kind === 'not-found') return false;
      throw error;
    }
  });
  for (const job of recovered) {
    deps.log.with({ correlationId: job.correlationId, taskId: job.taskId }).warn('hold.claim-recovered', {
      jobId: job.jobId,
      printerId: job.printerId,
    });
  }
  report.recovered = recovered.length;
  for (const held of await deps.holds.listExpired(now, limit)) {
    const claimed = await deps.holds.claim(ownerOf(held), held.taskId);
    if (!claimed) continue;
    // Kept longer since the list was read (HoldStore.update moved expiresAt): not due after all, put back.
    if (Date.parse(claimed.expiresAt) > now.getTime()) {
      await deps.holds.add(claimed);
      continue;
    }
    const log = deps.log.with({ correlationId: claimed.correlationId, taskId: claimed.taskId });
    try {
      const ended = await endHold(deps, claimed, log);
      report[ended]++;
      if (ended !== 'vanished') report.expired++;
      const outcome = ended === 'vanished' ? 'hold-vanished' : 'hold-expired';
      const prior = await deps.audit.find(claimed.receivedAt, claimed.taskId);
      // Its quota charge first: confirmed if the expiry released it, cancelled if denied or gone.
      if (prior) await settleCharges(deps.usageStore, prior, ended === 'released' ? 'confirm' : 'cancel');
      await deps.tasks.mark(claimed.taskDefinitionId, claimed.taskId, 'done', now, outcome);
      if (prior) {
        await deps.audit.write({
          ...prior,
          outcome,
          detail:
            ended === 'vanished'
              ? `the job was deleted by Universal Print before its hold expired at ${claimed.expiresAt}`
              : `expired at ${claimed.expiresAt}; ${ended}${ended === 'denied' && claimed.onExpiry === 'release' ? ' (a pull queue prints nothing)' : ''}`,
          completedAt: now.toISOString(),
        });
      }
      log.info('hold.expired', { action: ended, jobId: claimed.jobId, printerId: claimed.printerId });
      // After the end is recorded; never throws (see tellHoldOwner).
      await tellHoldOwner(
        deps.messages,
        claimed,
        ended === 'vanished' ? 'deleted' : 'expired',
        ended === 'vanished' ? VANISHED_MESSAGE : ended === 'released' ? EXPIRED_RELEASED_MESSAGE : EXPIRY_REASON,
        log,
      );
    } catch (error) {
      await deps.holds.add(claimed);
      report.retryLater++;
      log.warn('hold.expiry-failed', describeError(error));
    }
  }
  // After the expiry pass (nothing just ended is warned); it never throws.
  if (deps.expiryWarnings) report.warned = (await sendExpiryWarnings(deps, deps.expiryWarnings)).warned;
  return report;
}

async function endHold(deps: { api: PrintApi }, held: HeldJob, log: Log): Promise<'released' | 'denied' | 'vanished'> {
  const { api } = deps;
  try {
    await api.getJob(held.printerId, held.jobId);
  } catch (error) {
    if (classifyGraphError(error).kind !== 'not-found') throw error;
    await closeTaskIfOpen(api, held, 'aborted', EXPIRY_REASON, log).catch((closing: unknown) =>
      log.warn('task.close-failed', { detail: classifyGraphError(closing).message }),
    );
    return 'vanished';
  }
  if (held.onExpiry === 'release' && !(await printerKindsFor(api).isPullQueue(held.printerId, api))) {
    await closeTaskIfOpen(api, held, 'completed', 'Release Gate: hold expired, released', log);
    return 'released';
  }
  const ended = await abortJobAndCloseTask(api, held, held, EXPIRY_REASON, log);
  return ended === 'job-gone' ? 'vanished' : 'denied';
}

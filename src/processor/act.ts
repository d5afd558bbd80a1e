import type { AuditOutcome, AuditRecord } from '../audit/audit-log';
import type { PrintJob } from '../graph/print-schemas';
import type { JobRef } from '../graph/ids';
import type { Decision } from '../policy/decision';
import { endedTaskState, outcomeOfEndedTask } from './already-ended';
import { closeTask } from './task-outcome';
import type { TaskRun } from './task-run';

/** The colour, sides and paper a job was sent with (Graph's values; an unknown future value is left out). */
function sentWith(configuration: PrintJob['configuration']): {
  colorMode?: string;
  duplexMode?: string;
  mediaSize?: string;
} {
  const known = (value: string | null | undefined) => (value && value !== 'unknownFutureValue' ? value : undefined);
  const colorMode = known(configuration?.colorMode);
  const duplexMode = known(configuration?.duplexMode);
  const mediaSize = known(configuration?.mediaSize);
  return {
    ...(colorMode ? { colorMode } : {}),
    ...(duplexMode ? { duplexMode } : {}),
    ...(mediaSize ? { mediaSize } : {}),
  };
}

export const descriptionFor = (decision: Decision) =>
  `Release Gate: ${decision.action} (${decision.rule})${decision.reason ? `: ${decision.reason}` : ''}`;

/**
 * Makes Universal Print do what the journaled decision says (see the API reference §7):
 * - release: complete the task (the job prints);
 * - release-with-changes: PATCH the job's configuration, then complete the task;
 * - redirect: redirect the job (Graph completes our task; it is closed here if Graph left it open);
 * - deny: abort the job with the reason its owner sees, then close the task (a task PATCHed
 *   `aborted` does not stop its job, and an ended task's job can no longer be aborted);
 * - hold: record the hold and leave the task processing until release or expiry.
 * A task that had already ended when we acted (Graph refuses with 400) is "already done", recorded
 * with what its end says (see already-ended.ts), never a failure.
 */
export async function actOnDecision(
  run: TaskRun,
  record: AuditRecord,
  job: PrintJob,
  ids: JobRef,
): Promise<{ outcome: AuditOutcome; detail?: string; printed?: boolean }> {
  // A job aborted by an earlier run that crashed before closing the task: just close it.
  if (record.decision.action === 'deny' && (job.status.state === 'aborted' || job.status.state === 'canceled')) {
    await closeTask(run, 'aborted', record.decision.reason);
    return { outcome: 'denied' };
  }
  try {
    return { outcome: await act(run, record, job, ids) };
  } catch (error) {
    const { taskDefinitionId, taskId } = run.message;
    const state = await endedTaskState(error, run.api, taskDefinitionId, taskId);
    if (!state) throw error;
    const ended = outcomeOfEndedTask(record.decision, state);
    run.log.info('task.already-ended', { state, outcome: ended.outcome });
    return ended;
  }
}

async function act(run: TaskRun, record: AuditRecord, job: PrintJob, ids: JobRef): Promise<AuditOutcome> {
  const { api, message, log } = run;
  const { taskDefinitionId, taskId } = message;
  const { printerId, jobId } = ids;
  const decision = record.decision;
  switch (decision.action) {
    case 'release':
      await api.setTaskState(taskDefinitionId, taskId, 'completed', descriptionFor(decision));
      return 'released';
    case 'release-with-changes':
      await api.updateJobConfiguration(printerId, jobId, decision.changes);
      await api.setTaskState(taskDefinitionId, taskId, 'completed', descriptionFor(decision));
      return 'released-with-changes';
    case 'redirect': {
      const moved = await api.redirectJob(printerId, jobId, decision.printerId, decision.configuration);
      log.info('job.redirected', { toPrinterId: decision.printerId, newJobId: moved.id });
      // Graph completes our task on redirect; confirm, and close it ourselves if it did not.
      const task = await api.getTask(taskDefinitionId, taskId);
      if (task.status.state === 'processing') {
        log.warn('task.left-processing-after-redirect');
        await api.setTaskState(taskDefinitionId, taskId, 'completed', descriptionFor(decision));
      }
      return 'redirected';
    }
    case 'deny':
      await api.abortJob(printerId, jobId, decision.reason);
      await closeTask(run, 'aborted', decision.reason);
      return 'denied';
    case 'hold': {
      const owner = job.createdBy?.userPrincipalName ?? undefined;
      if (!owner) throw new Error(`Job ${jobId} has no owner to hold it for`);
      const heldAt = run.now();
      const document = job.documents?.[0];
      await run.deps.holds.add({
        taskDefinitionId,
        taskId,
        printerId,
        jobId,
        ownerUpn: owner,
        ownerId: job.createdBy?.id ?? undefined,
        documentName: document?.displayName ?? undefined,
        sizeBytes: document?.size ?? undefined,
        copies: job.configuration?.copies ?? undefined,
        ...sentWith(job.configuration),
        heldAt: heldAt.toISOString(),
        expiresAt: new Date(heldAt.getTime() + decision.expiresInMinutes * 60_000).toISOString(),
        onExpiry: decision.onExpiry,
        rule: decision.rule,
        ...(decision.configuration ? { releaseConfiguration: decision.configuration } : {}),
        ...(decision.releaseAt ? { releaseAt: decision.releaseAt } : {}),
        ...(decision.keepLongerUpToMinutes
          ? { keepUntilMax: new Date(heldAt.getTime() + decision.keepLongerUpToMinutes * 60_000).toISOString() }
          : {}),
        ...(decision.delegation === false ? { noDelegation: true as const } : {}),
        ...(job.createdBy?.displayName ? { ownerName: job.createdBy.displayName } : {}),
        correlationId: message.correlationId,
        receivedAt: message.receivedAt,
      });
      return 'held';
    }
  }
}

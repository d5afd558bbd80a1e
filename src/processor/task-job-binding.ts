import type { AuditLog } from '../audit/audit-log';
import type { PrintJob, PrintTask, PrintTaskState } from '../graph/print-schemas';
import type { Log } from '../observability/log';
import { parseJobUrl, type JobRef } from '../graph/ids';
import type { PrintTaskMessage } from '../queue/print-task-message';

/**
 * A notification names a task and, in `parentUrl`, the job it says the task belongs to. Anyone who
 * knows the clientState can pair a task with another job: deciding on one job and acting on the
 * other's task would print a job the policy meant to stop (or abort someone else's). So the pair is
 * checked before anything is decided: the job's `tasks` (already read) must list the task, or the
 * task's own `parentUrl`, read from Graph, must name this job.
 */
export type TaskBinding = { belongs: true; state: PrintTaskState } | { belongs: false; actualJob: JobRef | undefined };

const sameJob = (a: JobRef, b: JobRef) =>
  a.printerId.toLowerCase() === b.printerId.toLowerCase() && a.jobId === b.jobId;

/** The binding as the task itself states it (its `parentUrl`); a task without one belongs nowhere. */
export function bindingOfTask(task: PrintTask, named: JobRef): TaskBinding {
  const actualJob = task.parentUrl ? parseJobUrl(task.parentUrl) : undefined;
  return actualJob && sameJob(actualJob, named)
    ? { belongs: true, state: task.status.state }
    : { belongs: false, actualJob };
}

/** The job's own list first (no Graph call); a task it does not list is read for its `parentUrl`. */
export async function taskBinding(
  job: Pick<PrintJob, 'tasks'>,
  named: JobRef,
  taskId: string,
  readTask: () => Promise<PrintTask>,
): Promise<TaskBinding> {
  const listed = job.tasks?.find((t) => t.id === taskId);
  if (listed) return { belongs: true, state: listed.status.state };
  return bindingOfTask(await readTask(), named);
}

/** The audit row of a refused notification: its own row, never the task's journal row (see below). */
export const mismatchAuditKey = (taskId: string) => `${taskId}.job-mismatch`;

export const JOB_MISMATCH_REASON = 'The notified task does not belong to the job the notification named.';

/**
 * Refuses a task/job mismatch: nothing is done to the named job or to the task, an admin is told
 * (error level), and the refusal is audited under its own row key. Writing the task's journal row
 * instead would let a forged notification overwrite the task's true outcome, or make its genuine
 * notification look already handled.
 */
export async function refuseJobMismatch(
  message: PrintTaskMessage,
  named: JobRef,
  actualJob: JobRef | undefined,
  deps: { audit: AuditLog; log: Log; now: () => Date },
): Promise<void> {
  deps.log.error('task.job-mismatch', {
    namedPrinterId: named.printerId,
    namedJobId: named.jobId,
    taskPrinterId: actualJob?.printerId,
    taskJobId: actualJob?.jobId,
    source: message.source,
    subscriptionId: message.subscriptionId,
  });
  const stamp = deps.now().toISOString();
  await deps.audit.write({
    receivedAt: message.receivedAt,
    taskId: mismatchAuditKey(message.taskId),
    taskDefinitionId: message.taskDefinitionId,
    jobId: named.jobId,
    printerId: named.printerId,
    rule: 'task/job binding',
    action: 'refused',
    reason: JOB_MISMATCH_REASON,
    decision: { action: 'deny', rule: 'task/job binding', reason: JOB_MISMATCH_REASON },
    outcome: 'refused-job-mismatch',
    detail:
      `task ${message.taskId} belongs to ` +
      (actualJob ? `job ${actualJob.jobId} on printer ${actualJob.printerId}` : 'no job Graph names') +
      '; nothing was done',
    correlationId: message.correlationId,
    decidedAt: stamp,
    completedAt: stamp,
  });
}

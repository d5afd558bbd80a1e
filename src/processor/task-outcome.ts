import type { AuditOutcome, AuditRecord } from '../audit/audit-log';
import { classifyGraphError } from '../graph/graph-errors';
import type { JobRef } from '../graph/ids';
import { describeError } from '../observability/log';
import type { Decision } from '../policy/decision';
import { closeTaskIfOpen } from '../graph/close-task';
import type { ProcessResult, TaskRun } from './task-run';
import { bindingOfTask, refuseJobMismatch } from './task-job-binding';
import { settleCharges, settlementOf } from '../quota/settle-charges';

/** How a run ends: the final audit record and task index entry, or a skip, each with its Graph call count. */

/**
 * Records the outcome: the job's quota charge settled from the journal (confirmed if it printed,
 * cancelled if not; see settlementOf), then the audit record (the journal's final state) and the
 * task index, written at once. Settling first means a crash before the record is written is
 * settled again on the next try (settling is idempotent), never lost. `printed`: for an outcome
 * that does not say (already-done), whether the ended task printed.
 */
export async function finish(
  run: TaskRun,
  record: AuditRecord,
  outcome: AuditOutcome,
  detail?: string,
  printed?: boolean,
): Promise<ProcessResult> {
  const { message, deps } = run;
  await settleCharges(deps.usageStore, record, settlementOf(outcome, printed));
  const completedAt = run.now();
  const graphCalls = run.calls();
  const totalMs = completedAt.getTime() - Date.parse(message.receivedAt);
  await Promise.all([
    deps.tasks.mark(
      message.taskDefinitionId,
      message.taskId,
      outcome === 'held' ? 'held' : 'done',
      completedAt,
      outcome,
    ),
    deps.audit.write({
      ...record,
      outcome,
      ...(detail ? { detail } : {}),
      completedAt: completedAt.toISOString(),
      totalMs,
      graphCalls,
    }),
  ]);
  run.log.info('task.finished', {
    outcome,
    action: record.action,
    rule: record.rule,
    printerId: record.printerId,
    jobId: record.jobId,
    user: record.userPrincipalName,
    graphCalls,
    totalMs,
  });
  return { status: 'acted', outcome, decision: record.decision, graphCalls };
}

export function skipNotProcessing(run: TaskRun, state: string): ProcessResult {
  run.log.info('task.not-processing', { state });
  return { status: 'skipped', why: 'task-not-processing', graphCalls: run.calls() };
}

/** Closes the run's task unless it has already ended. */
export function closeTask(run: TaskRun, state: 'completed' | 'aborted', description?: string): Promise<void> {
  return closeTaskIfOpen(run.api, run.message, state, description ?? `Release Gate: ${state}`, run.log);
}

/** A notification pairing the task with another job: nothing is done (see task-job-binding.ts). */
export async function refuseMismatch(
  run: TaskRun,
  named: JobRef,
  actualJob: JobRef | undefined,
): Promise<ProcessResult> {
  await refuseJobMismatch(run.message, named, actualJob, { audit: run.deps.audit, log: run.log, now: run.now });
  return { status: 'skipped', why: 'job-mismatch', graphCalls: run.calls() };
}

const unlessNotFound = (error: unknown): undefined => {
  if (classifyGraphError(error).kind === 'not-found') return undefined;
  throw error;
};

export const JOB_GONE_REASON = 'The print job no longer exists.';

/**
 * The job is gone (404): its task is closed and the task recorded `job-gone`. A job that is gone
 * cannot list the task, so the task's own parentUrl must name it before we close the task.
 */
export async function jobGone(run: TaskRun, printerId: string, jobId: string): Promise<ProcessResult> {
  const { api, message, deps } = run;
  const task = jobId ? await api.getTask(message.taskDefinitionId, message.taskId).catch(unlessNotFound) : undefined;
  const binding = task && bindingOfTask(task, { printerId, jobId });
  if (binding && !binding.belongs) return refuseMismatch(run, { printerId, jobId }, binding.actualJob);
  run.log.warn('job.gone', { printerId, jobId });
  // A 404: the task went with its job. Anything else is logged, not retried (the job is gone either
  // way); a task left open is reported again by the reconciler (reconciler.task-open-after-done).
  await closeTask(run, 'aborted', JOB_GONE_REASON).catch((error: unknown) => {
    if (classifyGraphError(error).kind !== 'not-found') run.log.warn('job.gone-task-not-closed', describeError(error));
  });
  // A charge an earlier try reserved and journaled: the job never printed.
  if (deps.usageStore)
    await settleCharges(
      deps.usageStore,
      (await deps.audit.find(message.receivedAt, message.taskId)) ?? { jobId },
      'cancel',
    );
  const decidedAt = run.now().toISOString();
  const decision: Decision = { action: 'deny', rule: 'job gone', reason: JOB_GONE_REASON };
  await deps.audit.write({
    receivedAt: message.receivedAt,
    taskId: message.taskId,
    taskDefinitionId: message.taskDefinitionId,
    jobId,
    printerId,
    rule: decision.rule,
    action: decision.action,
    decision,
    outcome: 'job-gone',
    correlationId: message.correlationId,
    decidedAt,
    completedAt: decidedAt,
    graphCalls: run.calls(),
  });
  await deps.tasks.mark(message.taskDefinitionId, message.taskId, 'done', run.now(), 'job-gone');
  return { status: 'job-gone', graphCalls: run.calls() };
}

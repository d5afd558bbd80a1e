import type { AuditLog } from '../audit/audit-log';
import { classifyGraphError } from '../graph/graph-errors';
import type { PrintApi } from '../graph/print-api';
import type { Log } from '../observability/log';
import type { Decision } from '../policy/decision';
import type { PrintTaskMessage } from '../queue/print-task-message';

/** Closes a task unless it has already ended (Graph ends it itself after a redirect, maybe an abort). */
export async function closeTaskIfOpen(
  api: PrintApi,
  message: Pick<PrintTaskMessage, 'taskDefinitionId' | 'taskId'>,
  state: 'completed' | 'aborted',
  description: string,
  log: Log,
): Promise<void> {
  try {
    await api.setTaskState(message.taskDefinitionId, message.taskId, state, description);
  } catch (error) {
    const failure = classifyGraphError(error);
    if (failure.kind !== 'conflict' && failure.kind !== 'not-found') throw error;
    log.info('task.already-closed', { state, detail: failure.message });
  }
}

/**
 * When Release Gate cannot act as decided (a permission is missing, Graph refuses, the task kept
 * failing into the poison queue), the admin's fail-safe ends the task so the job is never stuck:
 * `release` completes it (the job prints), `deny` aborts it. Audited as `failed-safe`.
 */
export async function applyFailSafe(
  message: PrintTaskMessage,
  deps: { api: PrintApi; audit: AuditLog; log: Log; failSafeAction: 'release' | 'deny'; now?: () => Date },
  detail: string,
): Promise<{ decision: Decision }> {
  const { failSafeAction } = deps;
  const decision: Decision =
    failSafeAction === 'release'
      ? { action: 'release', rule: 'fail-safe' }
      : { action: 'deny', rule: 'fail-safe', reason: 'Release Gate could not process this job.' };
  await closeTaskIfOpen(
    deps.api,
    message,
    failSafeAction === 'release' ? 'completed' : 'aborted',
    `Release Gate fail-safe: ${failSafeAction}`,
    deps.log,
  );
  const stamp = (deps.now ?? (() => new Date()))().toISOString();
  const prior = await deps.audit.find(message.receivedAt, message.taskId);
  await deps.audit.write({
    ...(prior ?? {
      receivedAt: message.receivedAt,
      taskId: message.taskId,
      taskDefinitionId: message.taskDefinitionId,
      jobId: message.jobId ?? '',
      printerId: message.printerId ?? '',
      rule: decision.rule,
      action: 'fail-safe' as const,
      decision,
      correlationId: message.correlationId,
      decidedAt: stamp,
    }),
    outcome: 'failed-safe',
    detail: detail.slice(0, 500),
    completedAt: stamp,
  });
  deps.log.warn('task.failed-safe', { action: failSafeAction, detail: detail.slice(0, 200) });
  return { decision };
}

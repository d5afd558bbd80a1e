import type { AuditOutcome } from '../audit/audit-log';
import { classifyGraphError } from '../graph/graph-errors';
import type { PrintApi } from '../graph/print-api';
import type { Decision } from '../policy/decision';

/**
 * Graph refuses an action on a task that has already ended (400: the task is not processing, on
 * PATCH task, redirect, update and abort). That is "already done" (an earlier run acted and its
 * answer was lost, or Graph ended the task itself), never a failure or a reason for the fail-safe.
 * The task is read again to tell: still `processing` means the refusal was real, and it is thrown on.
 */
export async function endedTaskState(
  error: unknown,
  api: Pick<PrintApi, 'getTask'>,
  taskDefinitionId: string,
  taskId: string,
): Promise<'completed' | 'aborted' | undefined> {
  if (classifyGraphError(error).kind !== 'conflict') return undefined;
  const { state } = (await api.getTask(taskDefinitionId, taskId)).status;
  return state === 'completed' || state === 'aborted' ? state : undefined;
}

/** The outcome to record for a decision whose task was found ended: the decision's own when the end matches it. */
export function outcomeOfEndedTask(
  decision: Decision,
  state: 'completed' | 'aborted',
): { outcome: AuditOutcome; detail: string; printed: boolean } {
  const expected: Partial<Record<Decision['action'], [AuditOutcome, 'completed' | 'aborted']>> = {
    release: ['released', 'completed'],
    'release-with-changes': ['released-with-changes', 'completed'],
    redirect: ['redirected', 'completed'], // Graph completes a redirected job's task itself
    deny: ['denied', 'aborted'],
  };
  const match = expected[decision.action];
  // A completed task printed (whoever completed it); an aborted one did not: that settles its quota charge.
  const printed = state === 'completed';
  if (match && match[1] === state)
    return { outcome: match[0], detail: `the task had already ended (${state}): the action was done before`, printed };
  return {
    outcome: 'already-done',
    detail: `the task had already ended (${state}) before the ${decision.action}`,
    printed,
  };
}

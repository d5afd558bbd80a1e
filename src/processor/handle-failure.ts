import { permissionsFor } from '../graph/app-permissions';
import { classifyGraphError } from '../graph/graph-errors';
import { applyFailSafe } from './fail-safe';
import { ClaimLostError } from './task-claim';
import { jobGone } from './task-outcome';
import { RetryableProcessingError, type ProcessResult, type TaskRun } from './task-run';

/** The application permissions to check when Graph refuses us, from the one list the code declares. */
export const PERMISSION_HINT = `Check the app registration has admin consent for ${permissionsFor('application')
  .map((p) => p.name)
  .join(', ')}`;

/** Default for ProcessorDependencies.maxDeferrals. */
export const DEFAULT_MAX_DEFERRALS = 10;
/**
 * The longest a deferred task stays invisible, whatever Retry-After says: the queue refuses more than
 * 7 days, and a task that long unanswered would lose its job anyway; after an hour we look again.
 */
export const MAX_DEFERRAL_SECONDS = 3600;

/**
 * What a run does about an error, by the Graph error's kind (classifyGraphError):
 * - throttled with a Retry-After longer than we wait in-process: the task goes back on the queue,
 *   invisible that long (a deferral), up to `maxDeferrals` times; otherwise retried by the queue;
 * - not found: the job is gone, its task is closed;
 * - transient (network, 5xx): retried by the queue, never turned into a decision;
 * - forbidden or conflict: retrying will not help; the fail-safe ends the task and an admin is told.
 * A lost claim is thrown on: another run has the task, so this one neither acts nor fails safe.
 */
export async function handleFailure(run: TaskRun, error: unknown): Promise<ProcessResult> {
  if (error instanceof ClaimLostError) throw error;
  const { message, deps, log } = run;
  const failure = classifyGraphError(error);
  if (failure.kind === 'throttled') {
    const delay = Math.min(failure.retryAfterSeconds ?? 0, MAX_DEFERRAL_SECONDS);
    const deferrals = message.deferrals ?? 0;
    if (delay > deps.maxRetryAfterSeconds && deferrals < (deps.maxDeferrals ?? DEFAULT_MAX_DEFERRALS)) {
      // Put the task back, invisible for as long as Graph asked, rather than hold an instance.
      await deps.queue.send([{ ...message, deferrals: deferrals + 1 }], undefined, { delaySeconds: delay });
      log.warn('task.deferred', { delaySeconds: delay, deferrals: deferrals + 1, status: failure.status });
      return { status: 'deferred', delaySeconds: delay, graphCalls: run.calls() };
    }
    throw new RetryableProcessingError(`Graph throttled (${failure.status}): ${failure.message}`);
  }
  if (failure.kind === 'not-found') return jobGone(run, message.printerId ?? '', message.jobId ?? '');
  if (failure.kind === 'transient') throw new RetryableProcessingError(failure.message);
  log.error('task.failed-permanently', {
    kind: failure.kind,
    status: failure.status,
    detail: failure.message,
    hint: failure.kind === 'forbidden' ? PERMISSION_HINT : undefined,
  });
  const outcome = await applyFailSafe(message, { ...deps, api: run.api }, failure.message);
  await deps.tasks.mark(message.taskDefinitionId, message.taskId, 'done', run.now(), 'failed-safe');
  return { status: 'acted', outcome: 'failed-safe', decision: outcome.decision, graphCalls: run.calls() };
}

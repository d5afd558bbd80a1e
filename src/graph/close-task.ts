import type { Log } from '../observability/log';
import { classifyGraphError } from './graph-errors';
import type { JobRef, TaskRef } from './ids';
import type { PrintApi } from './print-api';

/** Closes a task unless it has already ended (Graph ends it itself after a redirect, maybe an abort). */
export async function closeTaskIfOpen(
  api: Pick<PrintApi, 'setTaskState'>,
  message: TaskRef,
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
 * Stops a job: aborts it with the reason its owner sees, then closes our task. A task PATCHed
 * `aborted` does not stop its job (only `jobs/{id}/abort` does), and once the task has ended the job
 * can no longer be aborted: hence this order. A job already gone or already ended is not an error;
 * an abort Graph refuses (a missing permission) still closes the task, so the job stays blocked,
 * never printed. Anything else (throttling, network) is thrown, to be retried.
 */
export async function abortJobAndCloseTask(
  api: Pick<PrintApi, 'abortJob' | 'setTaskState'>,
  task: TaskRef,
  job: JobRef,
  reason: string,
  log: Log,
): Promise<'aborted' | 'job-gone' | 'abort-refused'> {
  let result: 'aborted' | 'job-gone' | 'abort-refused' = 'aborted';
  try {
    await api.abortJob(job.printerId, job.jobId, reason);
  } catch (error) {
    const failure = classifyGraphError(error);
    if (failure.kind === 'not-found') result = 'job-gone';
    else if (failure.kind === 'conflict') log.info('job.already-ended', { detail: failure.message });
    else if (failure.kind === 'forbidden') {
      result = 'abort-refused';
      log.error('job.abort-refused', {
        detail: failure.message,
        hint: 'The job is blocked, not printed, but its owner is not told why: grant PrintJob.Manage.All.',
      });
    } else throw error;
  }
  await closeTaskIfOpen(api, task, 'aborted', reason, log);
  return result;
}

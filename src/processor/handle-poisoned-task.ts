import { describeError, type Log } from '../observability/log';
import { parsePrintTaskMessage } from '../queue/print-task-message';
import { applyFailSafe } from './fail-safe';
import type { ProcessorApi, ProcessorDependencies } from './task-run';
import { underTaskClaim } from './task-claim';

/**
 * A task that failed every try lands here. It gets the configured fail-safe so the user's job is
 * not stuck, and an error-level `task.poisoned` event that an alert rule watches.
 */
export async function handlePoisonedTask(
  raw: unknown,
  deps: ProcessorDependencies<ProcessorApi>,
  log: Log,
): Promise<void> {
  deps.metrics?.poisoned();
  const parsed = (() => {
    try {
      return parsePrintTaskMessage(raw);
    } catch (error) {
      return error as Error;
    }
  })();
  if (parsed instanceof Error) {
    log.error('task.poisoned', {
      readable: false,
      message: JSON.stringify(raw)?.slice(0, 500),
      ...describeError(parsed),
    });
    return;
  }
  const taskLog = log.with({ correlationId: parsed.correlationId, taskId: parsed.taskId });
  taskLog.error('task.poisoned', {
    readable: true,
    jobId: parsed.jobId,
    printerId: parsed.printerId,
    failSafe: deps.failSafeAction,
  });
  // Under the task's claim: a task another run finished (or is finishing) is not touched again.
  // maxDeferrals 0: while another run holds the task, that run ends it; the poisoned copy stops.
  await underTaskClaim(parsed, { ...deps, log: taskLog, maxDeferrals: 0 }, async (run) => {
    const { decision } = await applyFailSafe(
      run.message,
      { ...deps, api: run.fenced(deps.api), log: taskLog },
      'The task failed every retry and was moved to the poison queue.',
    );
    return { status: 'acted', outcome: 'failed-safe', decision };
  });
}

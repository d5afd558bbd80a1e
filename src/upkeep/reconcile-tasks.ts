import { randomUUID } from 'node:crypto';
import type { PrintApi } from '../graph/print-api';
import type { Log } from '../observability/log';
import { parseJobUrl } from '../graph/ids';
import type { PrintTaskMessage } from '../queue/print-task-message';
import type { TaskQueue } from '../queue/task-queue';
import type { TaskIndex } from '../tasks/task-index';

export interface ReconcileReport {
  processing: number;
  queued: number;
  requeued: number;
  waiting: number;
  held: number;
  handled: number;
}

/** A task queued or in hand this long without finishing is queued again (processing is idempotent). */
const STALLED_MINUTES = 15;

/**
 * Finds print tasks whose notification never came (or whose processing stalled), so that a lost
 * notification delays a job by minutes, not forever. Lists our definition's tasks (running and
 * recently finished), and for each one still `processing`:
 * - first sighting with no record: remember when it was seen;
 * - seen longer ago than the grace period and still unknown: queue it;
 * - queued or in hand but stalled: queue it again;
 * - held for release at a printer: leave it.
 */
export async function reconcileTasks(deps: {
  api: PrintApi;
  tasks: TaskIndex;
  queue: TaskQueue;
  tenantId: string;
  taskDefinitionId: string;
  graceMinutes: number;
  log: Log;
  now?: () => Date;
}): Promise<ReconcileReport> {
  const now = (deps.now ?? (() => new Date()))();
  const report: ReconcileReport = { processing: 0, queued: 0, requeued: 0, waiting: 0, held: 0, handled: 0 };
  const ageMinutes = (iso: string) => (now.getTime() - Date.parse(iso)) / 60_000;
  const toQueue: PrintTaskMessage[] = [];

  for (const task of await deps.api.listTasks(deps.taskDefinitionId)) {
    if (task.status.state !== 'processing') continue;
    report.processing++;
    const entry = await deps.tasks.get(deps.taskDefinitionId, task.id);
    if (!entry) {
      await deps.tasks.mark(deps.taskDefinitionId, task.id, 'seen', now);
      report.waiting++;
      continue;
    }
    if (entry.status === 'held') {
      report.held++;
      continue;
    }
    const lost = entry.status === 'seen' && ageMinutes(entry.firstSeenAt) >= deps.graceMinutes;
    const stalled =
      (entry.status === 'queued' || entry.status === 'handling') && ageMinutes(entry.updatedAt) >= STALLED_MINUTES;
    if (!lost && !stalled) {
      if (entry.status === 'seen') report.waiting++;
      else report.handled++;
      if (entry.status === 'done')
        deps.log.warn('reconciler.task-open-after-done', { taskId: task.id, outcome: entry.outcome });
      continue;
    }
    const job = task.parentUrl ? parseJobUrl(task.parentUrl) : undefined;
    toQueue.push({
      version: 1,
      taskDefinitionId: deps.taskDefinitionId,
      taskId: task.id,
      ...(job ?? {}),
      tenantId: deps.tenantId,
      receivedAt: entry.firstSeenAt,
      correlationId: randomUUID(),
      source: 'reconciler',
    });
    if (lost) report.queued++;
    else report.requeued++;
  }

  if (toQueue.length > 0) {
    await deps.queue.send(toQueue);
    for (const message of toQueue) {
      await deps.tasks.mark(deps.taskDefinitionId, message.taskId, 'queued', now);
      deps.log.warn('reconciler.queued', {
        taskId: message.taskId,
        correlationId: message.correlationId,
        jobId: message.jobId,
      });
    }
  }
  deps.log.info('reconciler.finished', { ...report });
  return report;
}

import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Settings } from '../config/settings';
import { errorResponse, type HttpRequestLike, type HttpResponseLike } from '../http/http-types';
import { describeError, type Log } from '../observability/log';
import type { PrintTaskMessage } from '../queue/print-task-message';
import type { TaskQueue } from '../queue/task-queue';
import type { Metrics } from '../observability/metrics';
import { checkNotification, type RejectionReason } from './check-notification';
import { readGraphPost } from './read-graph-post';

/** Graph gives up on us after 3 s; the queue write must finish well before that or we answer 503. */
export const QUEUE_DEADLINE_MS = 2000;
/** Per-request cap on individual security-log lines; the rest are only counted. */
const MAX_REJECTION_LOG_LINES = 20;

export interface WebhookDependencies {
  settings: Settings;
  /** The clientState values currently accepted (current and, during rotation, previous). */
  clientStates: () => Promise<readonly string[]>;
  queue: TaskQueue;
  log: Log;
  now?: () => Date;
  newCorrelationId?: () => string;
  metrics?: Pick<Metrics, 'notifications'>;
}

/**
 * `POST /api/notifications`: Graph's change notifications for our print tasks.
 *
 * Answers the validation handshake; otherwise validates the body, discards (and logs) anything
 * that is not a genuine notification for our task definition, queues one message per task and
 * answers 202 once they are all durably stored, or 503 so that Graph retries.
 */
export async function receiveNotifications(
  request: HttpRequestLike,
  deps: WebhookDependencies,
): Promise<HttpResponseLike> {
  const read = await readGraphPost(request, deps, 'notification');
  if ('answer' in read) return read.answer;
  const { notifications, clientStates } = read;

  const now = (deps.now ?? (() => new Date()))();
  const newCorrelationId = deps.newCorrelationId ?? randomUUID;
  const messages = new Map<string, PrintTaskMessage>();
  const rejected: Partial<Record<RejectionReason, number>> = {};
  let rejectionLines = 0;
  let duplicates = 0;

  for (const [index, notification] of notifications.entries()) {
    const check = checkNotification(notification, deps.settings, clientStates);
    if (!check.accepted) {
      rejected[check.reason] = (rejected[check.reason] ?? 0) + 1;
      if (rejectionLines++ < MAX_REJECTION_LOG_LINES) {
        // Security log: enough to investigate a forger, never the clientState it sent.
        deps.log.warn('notification.rejected', {
          reason: check.reason,
          index,
          subscriptionId: notification.subscriptionId,
          tenantId: notification.tenantId,
          resource: notification.resource?.slice(0, 200),
        });
      }
      continue;
    }
    const key = `${check.task.taskDefinitionId}/${check.task.taskId}`.toLowerCase();
    if (messages.has(key)) {
      duplicates++;
      continue;
    }
    if (check.parentUrlIgnored) {
      deps.log.warn('notification.parent-url-unrecognised', { taskId: check.task.taskId });
    }
    messages.set(key, {
      version: 1,
      taskDefinitionId: check.task.taskDefinitionId,
      taskId: check.task.taskId,
      ...(check.job ? { printerId: check.job.printerId, jobId: check.job.jobId } : {}),
      subscriptionId: notification.subscriptionId,
      tenantId: notification.tenantId,
      receivedAt: now.toISOString(),
      correlationId: newCorrelationId(),
      source: 'notification',
    });
  }

  const accepted = [...messages.values()];
  if (accepted.length > 0) {
    // A plain controller and timer: AbortSignal.timeout costs several times more on every request.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException('The queue write took too long', 'TimeoutError')),
      QUEUE_DEADLINE_MS,
    );
    try {
      setMaxListeners(accepted.length + 10, deadline.signal); // one listener per message write
      await deps.queue.send(accepted, deadline.signal);
    } catch (error) {
      deps.log.error('notification.queue-failed', { tasks: accepted.length, ...describeError(error) });
      return unavailable('The notifications could not be stored; retry later.');
    } finally {
      clearTimeout(timer);
    }
    for (const message of accepted) {
      deps.log.info('notification.accepted', {
        correlationId: message.correlationId,
        taskId: message.taskId,
        jobId: message.jobId,
        printerId: message.printerId,
      });
    }
  }

  deps.metrics?.notifications('accepted', accepted.length);
  deps.metrics?.notifications('duplicate', duplicates);
  for (const [reason, count] of Object.entries(rejected)) deps.metrics?.notifications(`rejected:${reason}`, count);
  deps.log.info('notification.batch', {
    received: notifications.length,
    queued: accepted.length,
    duplicates,
    rejected,
  });
  // The same answer whatever was discarded: a forger learns nothing from it.
  return { status: 202 };
}

const unavailable = (message: string) => errorResponse(503, 'unavailable', message, { 'retry-after': '10' });

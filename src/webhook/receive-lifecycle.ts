import { randomUUID } from 'node:crypto';
import type { Settings } from '../config/settings';
import { errorResponse, type HttpRequestLike, type HttpResponseLike } from '../http/http-types';
import { describeError, type Log } from '../observability/log';
import type { ControlKind, ControlMessage } from '../queue/control-message';
import type { ControlQueue } from '../queue/task-queue';
import { isAcceptedClientState } from '../secrets/client-state';
import { readGraphPost } from './read-graph-post';

export interface LifecycleDependencies {
  settings: Settings;
  clientStates: () => Promise<readonly string[]>;
  queue: ControlQueue;
  log: Log;
  now?: () => Date;
}

/**
 * What each lifecycle event asks of us (Graph's lifecycle notifications guide). Print subscriptions
 * only ever get reauthorizationRequired, from every few minutes to rarely: each one queues a renewal,
 * which is idempotent. The other two are kept in case Graph ever sends them.
 */
const WORK: Record<string, ControlKind> = {
  reauthorizationRequired: 'renew-subscription', // a PATCH of the expiration also reauthorizes
  subscriptionRemoved: 'recreate-subscription',
  missed: 'reconcile',
};

/**
 * `POST /api/lifecycle`: Graph's lifecycle notifications for our subscription. Same handshake and
 * checks as the notification URL; the work (Graph calls) is queued, so Graph gets 202 at once.
 */
export async function receiveLifecycleEvents(
  request: HttpRequestLike,
  deps: LifecycleDependencies,
): Promise<HttpResponseLike> {
  const read = await readGraphPost(request, deps, 'lifecycle');
  if ('answer' in read) return read.answer;
  const { notifications, clientStates } = read;

  const now = (deps.now ?? (() => new Date()))();
  const work = new Map<ControlKind, ControlMessage>();
  for (const event of notifications) {
    const kind = event.lifecycleEvent ? WORK[event.lifecycleEvent] : undefined;
    const valid =
      isAcceptedClientState(event.clientState, clientStates) &&
      event.tenantId.toLowerCase() === deps.settings.RELEASE_GATE_TENANT_ID.toLowerCase() &&
      kind !== undefined;
    if (!valid || !kind) {
      deps.log.warn('lifecycle.rejected', {
        subscriptionId: event.subscriptionId,
        lifecycleEvent: event.lifecycleEvent?.slice(0, 64),
      });
      continue;
    }
    deps.log.info('lifecycle.received', { lifecycleEvent: event.lifecycleEvent, subscriptionId: event.subscriptionId });
    work.set(kind, {
      version: 1,
      kind,
      subscriptionId: event.subscriptionId,
      correlationId: randomUUID(),
      receivedAt: now.toISOString(),
    });
  }
  if (work.size > 0) {
    try {
      await deps.queue.send([...work.values()], AbortSignal.timeout(2000));
    } catch (error) {
      deps.log.error('lifecycle.queue-failed', describeError(error));
      return errorResponse(503, 'unavailable', 'The events could not be stored; retry later.', { 'retry-after': '10' });
    }
  }
  return { status: 202 };
}

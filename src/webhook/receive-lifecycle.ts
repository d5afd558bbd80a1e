import { randomUUID } from 'node:crypto';
import type { Settings } from '../config/settings';
import { errorResponse, type HttpRequestLike, type HttpResponseLike } from '../http/http-types';
import { describeError, type Log } from '../observability/log';
import type { ControlKind, ControlMessage } from '../queue/control-message';
import type { ControlQueue } from '../queue/task-queue';
import { isAcceptedClientState } from '../secrets/client-state';
import { readNotificationCollection } from './read-notification-collection';
import { answerValidationHandshake } from './validation-handshake';

export interface LifecycleDependencies {
  settings: Settings;
  clientStates: () => Promise<readonly string[]>;
  queue: ControlQueue;
  log: Log;
  now?: () => Date;
}

/** What each lifecycle event asks of us (Graph's lifecycle notifications guide). */
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
  const handshake = answerValidationHandshake(request);
  if (handshake) {
    deps.log.info('lifecycle.handshake');
    return handshake;
  }
  const body = await readNotificationCollection(request, deps.settings.RELEASE_GATE_MAX_NOTIFICATIONS_PER_REQUEST);
  if (!body.ok) return body.response;

  let clientStates: readonly string[];
  try {
    clientStates = await deps.clientStates();
  } catch (error) {
    deps.log.error('lifecycle.secret-unavailable', describeError(error));
    return errorResponse(503, 'unavailable', 'The notification secret is unavailable; retry later.', {
      'retry-after': '10',
    });
  }

  const now = (deps.now ?? (() => new Date()))();
  const work = new Map<ControlKind, ControlMessage>();
  for (const event of body.notifications) {
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

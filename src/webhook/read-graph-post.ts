import type { Settings } from '../config/settings';
import { errorResponse, type HttpRequestLike, type HttpResponseLike } from '../http/http-types';
import { describeError, type Log } from '../observability/log';
import type { ChangeNotification } from './notification-schema';
import { readNotificationCollection } from './read-notification-collection';
import { answerValidationHandshake } from './validation-handshake';

/**
 * What both Graph-facing URLs (notifications and lifecycle) do before their own checks: answer the
 * validation handshake, read the notification collection (4xx when malformed), and load the
 * accepted clientState values (503 when the secret is unavailable, so Graph keeps the batch and
 * retries). Either an answer to return at once, or the notifications and the values to check them by.
 */
export async function readGraphPost(
  request: HttpRequestLike,
  deps: { settings: Settings; clientStates: () => Promise<readonly string[]>; log: Log },
  kind: 'notification' | 'lifecycle',
): Promise<{ answer: HttpResponseLike } | { notifications: ChangeNotification[]; clientStates: readonly string[] }> {
  const handshake = answerValidationHandshake(request);
  if (handshake) {
    deps.log.info(`${kind}.handshake`);
    return { answer: handshake };
  }
  const body = await readNotificationCollection(request, deps.settings.RELEASE_GATE_MAX_NOTIFICATIONS_PER_REQUEST);
  if (!body.ok) return { answer: body.response };
  try {
    return { notifications: body.notifications, clientStates: await deps.clientStates() };
  } catch (error) {
    deps.log.error(`${kind}.secret-unavailable`, describeError(error));
    return {
      answer: errorResponse(503, 'unavailable', 'The notification secret is unavailable; retry later.', {
        'retry-after': '10',
      }),
    };
  }
}

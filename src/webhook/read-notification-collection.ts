import { errorResponse, type HttpRequestLike, type HttpResponseLike } from '../http/http-types';
import { readCappedBody } from '../http/body-cap';
import { changeNotificationCollectionSchema, type ChangeNotification } from './notification-schema';

/** Graph sends small batches; 1 MB is far above any real one and bounds what a forger can make us parse. */
export const MAX_BODY_BYTES = 1024 * 1024;

const badRequest = (code: string, message: string) => errorResponse(400, code, message);

/**
 * Reads a change-notification collection from a POST, or says precisely why not (4xx with a short
 * reason; never a 5xx, never an echo of the input). Shared by the notification and lifecycle URLs.
 */
export async function readNotificationCollection(
  request: HttpRequestLike,
  maxItems: number,
): Promise<{ ok: true; notifications: ChangeNotification[] } | { ok: false; response: HttpResponseLike }> {
  const fail = (response: HttpResponseLike) => ({ ok: false as const, response });
  if (request.method.toUpperCase() !== 'POST') {
    return fail(errorResponse(405, 'method_not_allowed', 'Use POST.', { allow: 'POST' }));
  }
  const contentType = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    return fail(errorResponse(415, 'unsupported_media_type', 'The body must be application/json.'));
  }
  const body = await readCappedBody(request, MAX_BODY_BYTES);
  if (!body.ok) return fail(body.response);

  let json: unknown;
  try {
    json = JSON.parse(body.bytes.toString('utf8'));
  } catch {
    return fail(badRequest('invalid_json', 'The body is not valid JSON.'));
  }
  const parsed = changeNotificationCollectionSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'body';
    return fail(badRequest('invalid_notification', `${where}: ${issue?.message ?? 'invalid'}`.slice(0, 200)));
  }
  if (parsed.data.value.length > maxItems) {
    return fail(badRequest('too_many_notifications', `At most ${maxItems} notifications per request.`));
  }
  return { ok: true, notifications: parsed.data.value };
}

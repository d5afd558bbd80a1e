import { randomUUID } from 'node:crypto';
import { errorText } from '../../src/observability/log';

export interface ProbeResult {
  ok: boolean;
  status?: number;
  /** What happened, for the report (the URL's key is never part of it). */
  detail: string;
}

/**
 * Sends Graph's validation handshake to a subscribed URL, key included, as Graph does when it creates
 * the subscription: `POST …&validationToken=<token>` must answer 200, text/plain, the token itself.
 */
export async function probeValidation(url: string, fetchImpl: typeof fetch = fetch): Promise<ProbeResult> {
  const token = `release-gate-doctor ${randomUUID()}`;
  const target = new URL(url);
  target.searchParams.set('validationToken', token);
  let response: Response;
  try {
    response = await fetchImpl(target, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: '',
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { ok: false, detail: `unreachable (${cause ?? errorText(error)})` };
  }
  const text = await response.text().catch(() => '');
  if (response.status === 401 || response.status === 403)
    return {
      ok: false,
      status: response.status,
      detail: `${response.status}: the function key in the URL is wrong or missing`,
    };
  if (response.status !== 200)
    return { ok: false, status: response.status, detail: `answered ${response.status}, not 200` };
  if (!/^text\/plain/i.test(response.headers.get('content-type') ?? ''))
    return {
      ok: false,
      status: 200,
      detail: `answered ${response.headers.get('content-type') ?? 'no content type'}, not text/plain`,
    };
  if (text !== token) return { ok: false, status: 200, detail: 'answered 200 without echoing the validation token' };
  return { ok: true, status: 200, detail: 'answers the validation handshake (200, the token echoed)' };
}

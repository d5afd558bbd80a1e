import { GraphError } from '@microsoft/microsoft-graph-client';
import { errorText } from '../observability/log';

/** Graph errors sorted by what the processor should do about them. */
export type GraphFailure =
  | { kind: 'not-found'; status: 404; message: string }
  | { kind: 'forbidden'; status: 401 | 403; message: string }
  | { kind: 'throttled'; status: number; retryAfterSeconds?: number; message: string }
  | { kind: 'conflict'; status: 400 | 409 | 412; message: string }
  | { kind: 'transient'; status?: number; message: string };

const THROTTLING = new Set([429, 503, 504]);

/** Retry-After in seconds: a number (may be fractional) or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

export function classifyGraphError(error: unknown): GraphFailure {
  if (!(error instanceof GraphError) || !error.statusCode || error.statusCode <= 0) {
    // Network errors, timeouts, DNS: the SDK does not retry these; the queue will.
    return { kind: 'transient', message: errorText(error) };
  }
  const status = error.statusCode;
  const message = `${error.code ?? 'Error'}: ${error.message}`.slice(0, 500);
  if (status === 404) return { kind: 'not-found', status, message };
  if (status === 401 || status === 403) return { kind: 'forbidden', status, message };
  if (THROTTLING.has(status)) {
    return {
      kind: 'throttled',
      status,
      message,
      retryAfterSeconds: parseRetryAfter(error.headers?.get('retry-after')),
    };
  }
  if (status === 400 || status === 409 || status === 412) return { kind: 'conflict', status, message };
  return { kind: 'transient', status, message };
}

import { errorResponse, type HttpRequestLike, type HttpResponseLike } from './http-types';
import { readBodyWithLimit } from './read-body';

/**
 * How many body bytes each anonymous POST route reads at most. The host streams request bodies to
 * the worker (functions/startup.ts turns HTTP streaming on), so nothing is buffered before these
 * apply; the host's own FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (infra) bounds everything else.
 */
export const BODY_LIMITS = {
  /** `{ badge }` or `{ userPrincipalName, pin }`. */
  terminal: 4 * 1024,
  /** A release request: a job list and a printer, or a PIN. */
  releaseApi: 16 * 1024,
  /** The set-up CLI's requests to the admin routes: a printer id or a task definition id. */
  setup: 4 * 1024,
} as const;

const tooLarge = (maxBytes: number) => errorResponse(413, 'payload_too_large', `The body exceeds ${maxBytes} bytes.`);

/**
 * `Content-Length` as the client declared it: a number, absent, or not a number at all (a clear 400;
 * Node's and Kestrel's parsers refuse most such requests before they reach us anyway).
 */
export function declaredLength(header: string | null): number | undefined | 'invalid' {
  if (header === null) return undefined;
  return /^\s*\d{1,15}\s*$/.test(header) ? Number(header) : 'invalid';
}

/**
 * Reads a request's body up to `maxBytes`: refused at once when the declared length is larger,
 * otherwise streamed and abandoned the moment it passes the cap. Either the bytes or the 4xx to send.
 */
export async function readCappedBody(
  request: Pick<HttpRequestLike, 'headers' | 'body'>,
  maxBytes: number,
): Promise<{ ok: true; bytes: Buffer } | { ok: false; response: HttpResponseLike }> {
  const declared = declaredLength(request.headers.get('content-length'));
  if (declared === 'invalid')
    return { ok: false, response: errorResponse(400, 'invalid_content_length', 'Content-Length is not a number.') };
  if (declared !== undefined && declared > maxBytes) return { ok: false, response: tooLarge(maxBytes) };
  const read = await readBodyWithLimit(request.body, maxBytes);
  return read.ok ? read : { ok: false, response: tooLarge(maxBytes) };
}

/** The same request with its body replaced by bytes already read (the stream can be read only once). */
function withBody<R extends HttpRequestLike>(request: R, bytes: Buffer): R {
  const text = () => bytes.toString('utf8');
  const replaced: Record<PropertyKey, () => unknown> = {
    body: () => (bytes.length ? new Blob([bytes]).stream() : null),
    bodyUsed: () => false,
    text: () => async () => text(),
    json: () => async () => JSON.parse(text()) as unknown,
    arrayBuffer: () => async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
  };
  return new Proxy(request, {
    get(target, property) {
      const replacement = replaced[property];
      if (replacement) return replacement();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Wraps an HTTP handler so that its request body is capped before the handler runs: a body over
 * `maxBytes` is answered 413 without reading the rest, and the handler never sees it; a body within
 * the cap is handed on, already read.
 */
export function withBodyCap<R extends HttpRequestLike, C, O>(
  maxBytes: number,
  handler: (request: R, context: C) => Promise<O>,
): (request: R, context: C) => Promise<O | HttpResponseLike> {
  return async (request, context) => {
    const body = await readCappedBody(request, maxBytes);
    if (!body.ok) return body.response;
    return handler(withBody(request, body.bytes), context);
  };
}

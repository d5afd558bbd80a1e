import type { ReadableStream } from 'node:stream/web';

/**
 * The slice of an HTTP request and response our handlers use. The Functions host's `HttpRequest`
 * and `HttpResponseInit` fit these shapes, so the core stays free of the host package.
 */
export interface HttpRequestLike {
  readonly method: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  readonly query: { get(name: string): string | null };
  readonly body: ReadableStream | null;
}

export interface HttpResponseLike {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  jsonBody?: unknown;
}

/** A 4xx/5xx answer with a short, machine-readable reason. Never include secrets or input echoes. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): HttpResponseLike {
  return { status, headers, jsonBody: { error: { code, message } } };
}

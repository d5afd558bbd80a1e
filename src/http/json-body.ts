import type { z } from 'zod';
import { issueText, issuesText } from '../config/zod-issues';
import { readCappedBody } from './body-cap';
import { errorResponse, type HttpRequestLike, type HttpResponseLike } from './http-types';

export interface JsonBodyOptions {
  /** Read no more than this; a longer body is answered 413 `payload_too_large`. */
  maxBytes: number;
  /** The error code when the JSON does not fit the schema: `invalid_request` unless said. */
  invalidCode?: string;
  /**
   * The reason given when the JSON does not fit the schema: every issue as `path: message` unless
   * said. Never echo the input: the reason names fields and rules, not values.
   */
  explain?: (error: z.ZodError) => string;
}

/** Every issue, `path: message`, joined: what the release API answers. */
export const allIssues = (error: z.ZodError): string => issuesText(error, { whole: 'body' }).join('; ');

/** The first issue only, cut to 200 characters: for bodies from machines (Graph), where one is enough. */
export const firstIssue = (error: z.ZodError): string => {
  const [issue] = error.issues;
  return (issue ? issueText(issue, { whole: 'body' }) : 'body: invalid').slice(0, 200);
};

/**
 * Reads a request's JSON body and checks it against `schema`: the data, or the 4xx to send at once
 * (413 over `maxBytes`, 400 `invalid_json` when it is not JSON, 400 `invalidCode` with a reason when
 * it does not fit). An empty body is not JSON.
 */
export async function readJsonBody<S extends z.ZodType>(
  request: Pick<HttpRequestLike, 'headers' | 'body'>,
  schema: S,
  options: JsonBodyOptions,
): Promise<{ ok: true; data: z.output<S> } | { ok: false; response: HttpResponseLike }> {
  const body = await readCappedBody(request, options.maxBytes);
  if (!body.ok) return body;
  let json: unknown;
  try {
    json = JSON.parse(body.bytes.toString('utf8'));
  } catch {
    // Not JSON is all there is to say: the parser's message would quote the input.
    return { ok: false, response: errorResponse(400, 'invalid_json', 'The body is not valid JSON.') };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, data: parsed.data };
  const reason = (options.explain ?? allIssues)(parsed.error);
  return { ok: false, response: errorResponse(400, options.invalidCode ?? 'invalid_request', reason) };
}

import type { HttpRequestLike, HttpResponseLike } from '../http/http-types';

/**
 * Graph's validation handshake: on subscription create it POSTs `?validationToken=…` and expects
 * the decoded token back as plain text, within 10 seconds. `query.get` has already URL-decoded it.
 * Returns undefined when the request is not a handshake.
 */
export function answerValidationHandshake(request: HttpRequestLike): HttpResponseLike | undefined {
  const token = request.query.get('validationToken');
  if (token === null) return undefined;
  return {
    status: 200,
    // nosniff: the token is reflected, so no browser may ever treat it as HTML or script.
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
    body: token,
  };
}

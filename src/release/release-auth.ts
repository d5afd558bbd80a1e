import { errorResponse, type HttpRequestLike, type HttpResponseLike } from '../http/http-types';
import { InsufficientScopeError, UnauthorizedError, type SignedInUser } from './user-token';

/** `Origin: null` (sandboxed frames, files) or anything unparsable counts as another site. */
function sameSite(origin: string, url: string): boolean {
  try {
    return new URL(origin).host === new URL(url).host;
  } catch {
    return false;
  }
}

/**
 * The release APIs' gate (jobs, delegates, people): a cross-site request (an Origin that is not this
 * site) is refused before the token is read; then the user's Entra ID token is verified. The user's
 * identity comes only from the token.
 */
export async function signedInUser(
  request: HttpRequestLike,
  verifyUser: (authorization: string | null) => Promise<SignedInUser>,
): Promise<{ user: SignedInUser } | { refused: HttpResponseLike }> {
  const origin = request.headers.get('origin');
  if (origin && !sameSite(origin, request.url)) {
    return { refused: errorResponse(403, 'cross_site', 'Cross-site requests are not allowed.') };
  }
  try {
    return { user: await verifyUser(request.headers.get('authorization')) };
  } catch (error) {
    if (error instanceof UnauthorizedError) {
      return {
        refused: errorResponse(401, 'unauthorized', error.message.slice(0, 200), {
          'www-authenticate': 'Bearer error="invalid_token"',
        }),
      };
    }
    if (error instanceof InsufficientScopeError) {
      return {
        refused: errorResponse(403, 'insufficient_scope', error.message.slice(0, 200), {
          'www-authenticate': 'Bearer error="insufficient_scope"',
        }),
      };
    }
    throw error;
  }
}

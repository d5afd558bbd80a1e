import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { isGuid } from '../graph/ids';
import { errorText } from '../observability/log';

/** A user signed in to the release page or API, as proven by their Entra ID access token. */
export interface SignedInUser {
  /** The user's object id (`oid`): who they are. Holds, PINs and ownership are keyed by it. */
  objectId: string;
  /** `preferred_username`, for display and for finding holds stored before object-id keys; never identity. */
  userPrincipalName?: string;
  name?: string;
}

/** 401: no token, or not a valid access token of ours (an ID token, another client's, expired, …). */
export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
}

/** 403: a valid access token that lacks the release scope. */
export class InsufficientScopeError extends Error {
  override name = 'InsufficientScopeError';
}

/** The scope name in RELEASE_GATE_RELEASE_PAGE_SCOPE (`<client id>/Release.Use`, `api://…/Release.Use`). */
export function scopeName(scope: string | undefined): string {
  return scope?.split('/').pop() || 'Release.Use';
}

/**
 * Verifies user tokens ourselves: RS256 signature against the tenant's published keys (fetched from
 * its OpenID configuration and cached by jose, following key rotation), v2 issuer, audience, expiry
 * and tenant. Then what makes it an access token for our API, issued to our own release page:
 * - `scp` must contain our scope (Release.Use). An ID token has no `scp` (and its audience is our
 *   client id too, so the audience alone would accept it); neither has an app-only token.
 * - `azp` (v2; `appid` in v1) must be our client id: the release page is our app. A token another
 *   client obtained for our API (a consented third-party app) is refused.
 * - the user is the object id `oid` (a GUID) in our tenant `tid`; `preferred_username` is mutable,
 *   can be reused and is a guest's home address, so it never decides who someone is.
 */
export function userTokenVerifier(options: {
  authorityHost: string;
  tenantId: string;
  audiences: string[];
  /** Our app's client id: the only client whose tokens we accept (`azp`/`appid`). */
  clientId: string;
  /** The scope name the token must carry, e.g. `Release.Use`. */
  requiredScope: string;
}) {
  const issuer = `${options.authorityHost.replace(/\/+$/, '')}/${options.tenantId}/v2.0`;
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const jwks = () =>
    (keys ??= (async () => {
      const response = await fetch(`${issuer}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`OpenID configuration answered ${response.status}`);
      const { jwks_uri: jwksUri } = (await response.json()) as { jwks_uri?: string };
      if (!jwksUri) throw new Error('OpenID configuration has no jwks_uri');
      return createRemoteJWKSet(new URL(jwksUri));
    })().catch((error: unknown) => {
      keys = undefined;
      throw error;
    }));

  return async function verify(authorization: string | null | undefined): Promise<SignedInUser> {
    const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) throw new UnauthorizedError('Sign in: no bearer token');
    let payload: JWTPayload & Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, await jwks(), {
        issuer,
        audience: options.audiences,
        algorithms: ['RS256'],
        clockTolerance: 60,
        requiredClaims: ['exp', 'tid', 'oid'],
      }));
    } catch (error) {
      throw new UnauthorizedError(`Invalid token: ${errorText(error)}`);
    }
    if (payload.tid !== options.tenantId) throw new UnauthorizedError('Invalid token: another tenant');
    if (typeof payload.scp !== 'string' || payload.scp.trim() === '')
      throw new UnauthorizedError('Invalid token: not an access token for this API (no scp: an ID or app-only token)');
    const client = typeof payload.azp === 'string' ? payload.azp : payload.appid;
    if (typeof client !== 'string' || client.toLowerCase() !== options.clientId.toLowerCase())
      throw new UnauthorizedError('Invalid token: issued to another client application');
    if (!payload.scp.split(' ').includes(options.requiredScope))
      throw new InsufficientScopeError(`The token lacks the ${options.requiredScope} scope`);
    if (typeof payload.oid !== 'string' || !isGuid(payload.oid))
      throw new UnauthorizedError('Invalid token: no user object id');
    const upn =
      typeof payload.preferred_username === 'string'
        ? payload.preferred_username
        : typeof payload.upn === 'string'
          ? payload.upn
          : undefined;
    return {
      objectId: payload.oid.toLowerCase(),
      ...(upn ? { userPrincipalName: upn } : {}),
      ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
    };
  };
}

import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

/** A user signed in to the release page or API, as proven by their Entra ID token. */
export interface SignedInUser {
  objectId: string;
  userPrincipalName: string;
  name?: string;
}

export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
}

/**
 * Verifies user tokens ourselves: RS256 signature against the tenant's published keys (fetched from
 * its OpenID configuration and cached by jose, following key rotation), issuer, audience, expiry and
 * tenant. A forged header, `alg: none`, a token for another app or from another tenant gets nothing.
 */
export function userTokenVerifier(options: {
  authorityHost: string;
  tenantId: string;
  audiences: string[];
  fetchImpl?: typeof fetch;
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
    let payload: JWTPayload & {
      tid?: unknown;
      oid?: unknown;
      preferred_username?: unknown;
      upn?: unknown;
      name?: unknown;
    };
    try {
      ({ payload } = await jwtVerify(token, await jwks(), {
        issuer,
        audience: options.audiences,
        algorithms: ['RS256'],
        clockTolerance: 60,
        requiredClaims: ['exp', 'tid', 'oid'],
      }));
    } catch (error) {
      throw new UnauthorizedError(`Invalid token: ${(error as Error).message}`);
    }
    if (payload.tid !== options.tenantId) throw new UnauthorizedError('Invalid token: another tenant');
    const upn =
      typeof payload.preferred_username === 'string'
        ? payload.preferred_username
        : typeof payload.upn === 'string'
          ? payload.upn
          : undefined;
    if (!upn || typeof payload.oid !== 'string') throw new UnauthorizedError('Invalid token: no user');
    return {
      objectId: payload.oid,
      userPrincipalName: upn,
      ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
    };
  };
}

import { randomBytes, randomUUID } from 'node:crypto';
import {
  SignJWT,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type KeyLike,
  type JWK,
  type JWTPayload,
} from 'jose';
import { GraphHttpError } from './errors';
import type { SimApp, SimUser } from './model';

/**
 * The simulator's Entra ID: OpenID discovery, signing keys, and a token endpoint for the grants
 * Release Gate uses (client credentials with a secret or a client assertion, and the device code
 * flow for the admin). Real `@azure/identity` credentials (MSAL underneath) talk to it unchanged.
 */
export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
const PRINTER_ADMINISTRATOR_ROLE = '644ef478-e28f-4e28-b9dc-3fdde9aa0b1f';
const TOKEN_LIFETIME_S = 3600;

export interface TokenClaims extends JWTPayload {
  tid: string;
  appid: string;
  idtyp: 'app' | 'user';
  roles?: string[];
  scp?: string;
  oid?: string;
  upn?: string;
  wids?: string[];
}

interface DeviceCode {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scopes: string[];
  approvedBy?: string;
  expiresAt: number;
}

export interface IdentityDirectory {
  apps: Map<string, SimApp>;
  users: Map<string, SimUser>;
  /** The user who approves device codes automatically (the sandbox's admin), if any. */
  autoApproveUpn?: string;
}

export class IdentityProvider {
  private keys!: { privateKey: KeyLike; publicKey: KeyLike; publicJwk: JWK; kid: string };
  private readonly deviceCodes = new Map<string, DeviceCode>();

  constructor(
    private readonly baseUrl: () => string,
    readonly tenantId: string,
    private readonly directory: IdentityDirectory,
  ) {}

  async init(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = randomUUID();
    this.keys = {
      privateKey,
      publicKey,
      publicJwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' },
      kid,
    };
  }

  get issuer(): string {
    return `${this.baseUrl()}/${this.tenantId}/v2.0`;
  }

  openIdConfiguration(): Record<string, unknown> {
    const base = `${this.baseUrl()}/${this.tenantId}`;
    return {
      issuer: this.issuer,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      tenant_region_scope: 'WW',
      cloud_instance_name: 'simulator',
    };
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.keys.publicJwk] };
  }

  /** The OAuth token endpoint: form fields in, token response (or OAuth error) out. */
  async token(form: URLSearchParams): Promise<{ status: number; body: Record<string, unknown> }> {
    const grant = form.get('grant_type');
    const clientId = form.get('client_id') ?? '';
    const app = this.directory.apps.get(clientId);
    if (!app) return oauthError(400, 'unauthorized_client', `Application ${clientId} is not registered in the tenant.`);
    if (grant === 'client_credentials') {
      if (!this.clientAuthenticated(form, app))
        return oauthError(401, 'invalid_client', 'Invalid client secret or assertion.');
      const scope = form.get('scope') ?? '';
      if (!/\/\.default$/.test(scope))
        return oauthError(400, 'invalid_scope', 'App-only tokens need a <resource>/.default scope.');
      const accessToken = await this.sign({
        tid: this.tenantId,
        appid: app.clientId,
        azp: app.clientId,
        idtyp: 'app',
        sub: app.clientId,
        oid: app.clientId,
        roles: app.applicationPermissions,
      });
      return {
        status: 200,
        body: {
          token_type: 'Bearer',
          expires_in: TOKEN_LIFETIME_S,
          ext_expires_in: TOKEN_LIFETIME_S,
          access_token: accessToken,
        },
      };
    }
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer' && form.get('requested_token_use') === 'on_behalf_of') {
      if (!this.clientAuthenticated(form, app))
        return oauthError(401, 'invalid_client', 'Invalid client secret or assertion.');
      return this.onBehalfOf(app, form.get('assertion') ?? '', form.get('scope') ?? '');
    }
    if (grant === 'urn:ietf:params:oauth:grant-type:device_code' || grant === 'device_code') {
      const code = this.deviceCodes.get(form.get('device_code') ?? '');
      if (!code || code.clientId !== clientId) return oauthError(400, 'invalid_grant', 'Unknown device code.');
      if (code.expiresAt < Date.now()) return oauthError(400, 'expired_token', 'The device code expired.');
      if (!code.approvedBy && this.directory.autoApproveUpn) code.approvedBy = this.directory.autoApproveUpn;
      if (!code.approvedBy) return oauthError(400, 'authorization_pending', 'The user has not signed in yet.');
      const user = [...this.directory.users.values()].find((u) => u.userPrincipalName === code.approvedBy);
      if (!user) return oauthError(400, 'invalid_grant', 'The signing-in user does not exist.');
      this.deviceCodes.delete(code.deviceCode);
      return { status: 200, body: await this.userTokenResponse(app, user) };
    }
    return oauthError(400, 'unsupported_grant_type', `Grant ${grant} is not supported by the simulator.`);
  }

  /** Starts the device code flow, as Entra ID's /devicecode endpoint does. */
  deviceCode(form: URLSearchParams): { status: number; body: Record<string, unknown> } {
    const clientId = form.get('client_id') ?? '';
    if (!this.directory.apps.has(clientId)) return oauthError(400, 'unauthorized_client', 'Unknown application.');
    const code: DeviceCode = {
      deviceCode: randomBytes(24).toString('base64url'),
      userCode: randomBytes(4).toString('hex').toUpperCase(),
      clientId,
      scopes: (form.get('scope') ?? '').split(' ').filter(Boolean),
      expiresAt: Date.now() + 900_000,
    };
    this.deviceCodes.set(code.deviceCode, code);
    return {
      status: 200,
      body: {
        device_code: code.deviceCode,
        user_code: code.userCode,
        verification_uri: `${this.baseUrl()}/devicelogin`,
        expires_in: 900,
        interval: 1,
        message: `To sign in, approve code ${code.userCode} in the simulator (${this.baseUrl()}/_control/device-codes/${code.userCode}/approve).`,
      },
    };
  }

  /**
   * A user's token for a web app or API (what MSAL in the release page would get after sign-in): the
   * simulator's stand-in for the sign-in screen. Shaped as Entra ID's v2 tokens:
   * - `access` (default): `aud` the API, `azp` the client it was issued to (default: the API's own app,
   *   as when a page calls its own API), `scp` the scopes granted (default: every scope the API's app
   *   exposes; an unknown scope is refused as Entra ID would).
   * - `id`: `aud` the client, no `scp` and no `azp`: proves a sign-in to the client, grants nothing.
   * Options make deliberately bad tokens for tests: `scope: null` (an access token without `scp`),
   * another `clientId`, another `tenantId`, an expiry in the past.
   */
  async userToken(
    userPrincipalName: string,
    audience: string,
    options: {
      kind?: 'access' | 'id';
      clientId?: string;
      expiresInSeconds?: number;
      tenantId?: string;
      scope?: string | null;
      nonce?: string;
    } = {},
  ): Promise<string> {
    const user = [...this.directory.users.values()].find(
      (u) => u.userPrincipalName.toLowerCase() === userPrincipalName.toLowerCase(),
    );
    if (!user) throw new GraphHttpError(404, 'NotFound', `No user ${userPrincipalName}`);
    const now = Math.floor(Date.now() / 1000);
    const kind = options.kind ?? 'access';
    const resourceApp = this.directory.apps.get(audience.replace(/^api:\/\//, ''));
    let scp: string | undefined;
    if (kind === 'access' && options.scope !== null) {
      const exposed = resourceApp?.exposedScopes ?? [];
      const requested = options.scope?.split(' ').filter(Boolean) ?? exposed;
      const unknown = requested.filter((s) => !exposed.includes(s));
      if (requested.length === 0 || unknown.length > 0)
        throw new GraphHttpError(
          400,
          'invalid_scope',
          `AADSTS65005: ${audience} does not expose ${unknown.join(' ') || 'any scope'}`,
        );
      scp = requested.join(' ');
    }
    const client = options.clientId ?? resourceApp?.clientId ?? audience;
    return new SignJWT({
      tid: options.tenantId ?? this.tenantId,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      name: user.displayName,
      ver: '2.0',
      ...(kind === 'access' ? { azp: client, azpacr: '0', ...(scp ? { scp } : {}) } : {}),
      ...(options.nonce ? { nonce: options.nonce } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.keys.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(kind === 'id' ? (options.clientId ?? audience) : audience)
      .setSubject(user.id)
      .setIssuedAt(now)
      .setNotBefore(now - 60)
      .setExpirationTime(now + (options.expiresInSeconds ?? 3600))
      .sign(this.keys.privateKey);
  }

  /** Approves a pending device code as a user (the control API's stand-in for the sign-in page). */
  approveDeviceCode(userCode: string, userPrincipalName: string): boolean {
    const code = [...this.deviceCodes.values()].find((c) => c.userCode === userCode);
    if (!code) return false;
    code.approvedBy = userPrincipalName;
    return true;
  }

  /** Verifies a bearer token as Graph would: signature, issuer, audience, expiry, tenant. */
  async verify(authorization: string | undefined): Promise<TokenClaims> {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    if (!token) throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    try {
      const { payload } = await jwtVerify(token, this.keys.publicKey, {
        issuer: this.issuer,
        audience: GRAPH_AUDIENCE,
      });
      if (payload.tid !== this.tenantId) throw new Error('token for another tenant');
      return payload as TokenClaims;
    } catch (error) {
      throw new GraphHttpError(
        401,
        'InvalidAuthenticationToken',
        `Access token validation failure: ${(error as Error).message}`,
      );
    }
  }

  /**
   * The on-behalf-of flow: a middle-tier API trades the access token a user sent it for a Graph token
   * as that user. As Entra ID: the assertion must be a valid user access token (an ID token is not)
   * whose audience is the calling app itself; the Graph token carries the delegated permissions
   * consented for the app, and a scope not consented is refused (AADSTS65001).
   */
  private async onBehalfOf(
    app: SimApp,
    assertion: string,
    scope: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    let claims: JWTPayload & Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(assertion, this.keys.publicKey, {
        issuer: this.issuer,
        audience: [app.clientId, `api://${app.clientId}`],
      }));
    } catch (error) {
      return oauthError(
        400,
        'invalid_grant',
        `AADSTS50013: Assertion failed signature validation or audience: ${(error as Error).message}`,
      );
    }
    if (claims.tid !== this.tenantId || typeof claims.scp !== 'string' || typeof claims.oid !== 'string')
      return oauthError(400, 'invalid_grant', 'AADSTS50013: The assertion is not a user access token of this tenant.');
    const user = this.directory.users.get(claims.oid);
    if (!user) return oauthError(400, 'invalid_grant', 'AADSTS50034: The user account does not exist.');
    const OIDC = ['openid', 'profile', 'email', 'offline_access']; // MSAL adds these; not a resource's scopes
    const requested = scope.split(' ').filter((s) => s && !OIDC.includes(s));
    const graphScopes = requested.map((s) => s.replace(`${GRAPH_AUDIENCE}/`, ''));
    const missing = graphScopes.filter((s) => s !== '.default' && !app.delegatedPermissions.includes(s));
    if (requested.length === 0 || !requested.every((s) => s.startsWith(`${GRAPH_AUDIENCE}/`)))
      return oauthError(400, 'invalid_scope', 'Ask for Microsoft Graph scopes (https://graph.microsoft.com/...).');
    if (missing.length > 0)
      return oauthError(
        400,
        'invalid_grant',
        `AADSTS65001: The user or administrator has not consented to ${missing.join(' ')}.`,
      );
    return { status: 200, body: await this.userTokenResponse(app, user) };
  }

  private clientAuthenticated(form: URLSearchParams, app: SimApp): boolean {
    const secret = form.get('client_secret');
    if (secret !== null) return secret === app.secret;
    const assertion = form.get('client_assertion');
    if (!assertion || form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      return false;
    try {
      // A federated or certificate assertion: the simulator checks its shape and that it names the app
      // as issuer and subject (as Entra ID does), not who signed it.
      const claims = decodeJwt(assertion);
      if (claims.iss === app.clientId && claims.sub === app.clientId) return true; // certificate assertion
      // Federated credential: a token for api://AzureADTokenExchange whose subject the app trusts.
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      return (
        audiences.some((a) => typeof a === 'string' && a.startsWith('api://AzureADTokenExchange')) &&
        !!claims.sub &&
        (app.federatedSubjects ?? []).includes(claims.sub)
      );
    } catch {
      return false;
    }
  }

  private async userTokenResponse(app: SimApp, user: SimUser): Promise<Record<string, unknown>> {
    const wids = user.roles.includes('Printer Administrator') ? [PRINTER_ADMINISTRATOR_ROLE] : [];
    const accessToken = await this.sign({
      tid: this.tenantId,
      appid: app.clientId,
      azp: app.clientId,
      idtyp: 'user',
      sub: user.id,
      oid: user.id,
      upn: user.userPrincipalName,
      scp: app.delegatedPermissions.join(' '),
      wids,
    });
    const idToken = await new SignJWT({
      tid: this.tenantId,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      name: user.displayName,
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.keys.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(app.clientId)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_LIFETIME_S}s`)
      .sign(this.keys.privateKey);
    const clientInfo = Buffer.from(JSON.stringify({ uid: user.id, utid: this.tenantId })).toString('base64url');
    return {
      token_type: 'Bearer',
      scope: app.delegatedPermissions.map((p) => `${GRAPH_AUDIENCE}/${p}`).join(' '),
      expires_in: TOKEN_LIFETIME_S,
      ext_expires_in: TOKEN_LIFETIME_S,
      access_token: accessToken,
      id_token: idToken,
      client_info: clientInfo,
    };
  }

  private sign(claims: Omit<TokenClaims, 'iss' | 'aud'>): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.keys.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(GRAPH_AUDIENCE)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${TOKEN_LIFETIME_S}s`)
      .sign(this.keys.privateKey);
  }
}

function oauthError(status: number, error: string, description: string) {
  return { status, body: { error, error_description: description, error_codes: [status === 401 ? 7000215 : 50000] } };
}

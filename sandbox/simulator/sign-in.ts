import { createHash, randomBytes } from 'node:crypto';
import { escapeHtml } from '../../src/http/escape-html';
import type { IdentityProvider } from './identity-provider';
import type { Leniency } from './leniency';
import type { SimUser } from './model';

/**
 * The simulator's browser sign-in: Entra ID's authorization code flow with PKCE, as a single-page
 * app (the release page) uses it. `/authorize` shows a sign-in screen where you pick a demo user;
 * the token endpoint redeems the code cross-origin (CORS, as Entra ID allows for SPA redirect URIs).
 * Only redirect URIs registered for the app are accepted, so the page's real redirect logic is tested.
 *
 * As strict as Entra ID where the release page depends on it:
 * - A sign-in leaves a session (a cookie on the authority): `/authorize` then answers at once, unless
 *   the app asks `prompt=select_account` (pick an account) or `prompt=login`; `prompt=none` without a
 *   session answers `login_required`.
 * - A single-page app's code and refresh tokens are redeemed only cross-origin (an Origin header;
 *   AADSTS9002327 otherwise).
 * - With `offline_access`, a refresh token comes with the tokens. For a single-page app it expires 24
 *   hours after the sign-in, and the refresh tokens it buys carry that same expiry (not extended).
 * - `/logout` ends the session and returns only to a registered redirect URI (post_logout_redirect_uri).
 */
interface PendingCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  userPrincipalName: string;
  nonce?: string;
  expiresAt: number;
}

export interface SignInResult {
  status: number;
  headers?: Record<string, string>;
  html?: string;
  json?: Record<string, unknown>;
}

const CODE_LIFETIME_MS = 10 * 60_000;
/** Entra ID: refresh tokens sent to a redirect URI registered as `spa` expire after 24 hours. */
export const SPA_REFRESH_TOKEN_LIFETIME_MS = 24 * 3600_000;
/** The authority's session cookie (Entra ID's are ESTSAUTH and friends). */
export const SESSION_COOKIE = 'sim_session';

interface RefreshGrant {
  clientId: string;
  userPrincipalName: string;
  scopes: string[];
  expiresAt: number;
}

export class BrowserSignIn {
  private readonly codes = new Map<string, PendingCode>();
  private readonly redirectUris = new Map<string, Set<string>>();
  private readonly sessions = new Map<string, string>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  /** The clock for codes, refresh tokens and sessions: a test moves it to see a refresh token expire. */
  now: () => number = Date.now;

  constructor(
    private readonly identity: IdentityProvider,
    private readonly users: () => Iterable<SimUser>,
    private readonly knownClient: (clientId: string) => boolean,
    private readonly lenient: Pick<Leniency, 'slidingSpaRefreshTokens' | 'spaTokensWithoutOrigin'> = {},
  ) {}

  /** Registers a single-page-app redirect URI for an app (Entra ID: Authentication > Single-page application). */
  registerRedirectUri(clientId: string, redirectUri: string): void {
    const uris = this.redirectUris.get(clientId) ?? new Set<string>();
    uris.add(redirectUri);
    this.redirectUris.set(clientId, uris);
  }

  /**
   * GET /authorize: checks the request; with a session and no prompt, back to the app at once (single
   * sign-on); otherwise the sign-in screen (it POSTs back to itself).
   */
  authorize(query: URLSearchParams, cookieHeader?: string): SignInResult {
    const problem = this.requestProblem(query);
    if (problem) return { status: 400, html: page('Sign-in error', `<p role="alert">${escapeHtml(problem)}</p>`) };
    const prompt = query.get('prompt');
    const signedIn = this.sessionUser(cookieHeader);
    if (prompt === 'none' && !signedIn)
      return this.backWithError(query, 'login_required', 'AADSTS50058: No user is signed in (prompt=none).');
    if (signedIn && (prompt === null || prompt === 'none' || prompt === 'consent'))
      return this.backWithCode(query, signedIn);
    const hidden = [...query.entries()]
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('');
    const choices = [...this.users()]
      .map(
        (user) =>
          `<li><button name="login_hint" value="${escapeHtml(user.userPrincipalName)}">${escapeHtml(
            user.displayName,
          )} <small>${escapeHtml(user.userPrincipalName)}</small></button></li>`,
      )
      .join('');
    return {
      status: 200,
      html: page(
        'Sign in',
        `<h1>Pick an account</h1><p>Universal Print simulator: sign in as a demo user.</p>` +
          `<form method="post">${hidden}<ul>${choices}</ul></form>`,
      ),
    };
  }

  /** POST /authorize: the user picked an account; back to the app with a code (or an error), signed in. */
  approve(form: URLSearchParams): SignInResult {
    const problem = this.requestProblem(form);
    if (problem) return { status: 400, html: page('Sign-in error', `<p role="alert">${escapeHtml(problem)}</p>`) };
    const user = [...this.users()].find(
      (u) => u.userPrincipalName.toLowerCase() === (form.get('login_hint') ?? '').toLowerCase(),
    );
    if (!user) return this.backWithError(form, 'access_denied', 'No such user in the simulated tenant.');
    const session = randomBytes(24).toString('base64url');
    this.sessions.set(session, user.userPrincipalName);
    const result = this.backWithCode(form, user.userPrincipalName);
    return {
      ...result,
      headers: {
        ...result.headers,
        'set-cookie': `${SESSION_COOKIE}=${session}; Path=/; Secure; HttpOnly; SameSite=None`,
      },
    };
  }

  /**
   * GET /logout (Entra ID's end-session endpoint): ends the session, then back to the app only if
   * post_logout_redirect_uri is one of its registered redirect URIs; without one, a "signed out" page.
   */
  logout(query: URLSearchParams, cookieHeader?: string): SignInResult {
    const back = query.get('post_logout_redirect_uri');
    const clientId = query.get('client_id');
    if (back) {
      const registered = clientId
        ? this.redirectUris.get(clientId)?.has(back)
        : [...this.redirectUris.values()].some((uris) => uris.has(back));
      if (!registered)
        return {
          status: 400,
          html: page(
            'Sign-out error',
            `<p role="alert">${escapeHtml(`AADSTS50011: The post_logout_redirect_uri ${back} is not a registered redirect URI of the application.`)}</p>`,
          ),
        };
    }
    const session = readCookie(cookieHeader, SESSION_COOKIE);
    if (session) this.sessions.delete(session);
    const clear = { 'set-cookie': `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=0` };
    if (back) return { status: 302, headers: { ...clear, location: back } };
    return { status: 200, headers: clear, html: page('Signed out', '<h1>You have signed out</h1>') };
  }

  /**
   * The token endpoint's authorization_code grant: one use, PKCE checked, same client and redirect
   * URI, cross-origin only (a single-page app's).
   */
  async redeem(form: URLSearchParams, origin?: string): Promise<SignInResult> {
    const code = form.get('code') ?? '';
    const pending = this.codes.get(code);
    this.codes.delete(code); // a code is good once, even when the redemption fails
    const noOrigin = this.originProblem(origin);
    if (noOrigin) return noOrigin;
    if (!pending || pending.expiresAt < this.now())
      return oauthError('invalid_grant', 'The authorization code is invalid or has expired.');
    if (pending.clientId !== form.get('client_id') || pending.redirectUri !== form.get('redirect_uri'))
      return oauthError('invalid_grant', 'The code was issued to another client or redirect URI.');
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== pending.codeChallenge)
      return oauthError('invalid_grant', 'The code_verifier does not match the code_challenge.');
    const grant: RefreshGrant = {
      clientId: pending.clientId,
      userPrincipalName: pending.userPrincipalName,
      scopes: pending.scopes,
      expiresAt: this.now() + SPA_REFRESH_TOKEN_LIFETIME_MS,
    };
    return this.tokens(grant, pending.nonce);
  }

  /**
   * The token endpoint's refresh_token grant for a single-page app: cross-origin only, same client,
   * not after its 24 hours. The new refresh token keeps the first one's expiry (unless lenient); the
   * one used stays valid until then, as in Entra ID.
   */
  async refresh(form: URLSearchParams, origin?: string): Promise<SignInResult> {
    const noOrigin = this.originProblem(origin);
    if (noOrigin) return noOrigin;
    const token = form.get('refresh_token') ?? '';
    const grant = this.refreshTokens.get(token);
    if (!grant || grant.clientId !== form.get('client_id'))
      return oauthError(
        'invalid_grant',
        'AADSTS9002313: The refresh token is invalid or was issued to another client.',
      );
    if (grant.expiresAt <= this.now()) {
      this.refreshTokens.delete(token);
      return oauthError(
        'invalid_grant',
        'AADSTS700084: The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page.',
      );
    }
    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    return this.tokens({
      ...grant,
      scopes: requested.length ? requested : grant.scopes,
      expiresAt: this.lenient.slidingSpaRefreshTokens ? this.now() + SPA_REFRESH_TOKEN_LIFETIME_MS : grant.expiresAt,
    });
  }

  private async tokens(grant: RefreshGrant, nonce?: string): Promise<SignInResult> {
    const apiScopes = grant.scopes.filter((s) => s.includes('/'));
    const resource = apiScopes[0]?.replace(/\/[^/]+$/, '');
    if (!resource) return oauthError('invalid_scope', 'Ask for a scope of an API, e.g. <client id>/Release.Use.');
    let accessToken: string;
    try {
      accessToken = await this.identity.userToken(grant.userPrincipalName, resource, {
        clientId: grant.clientId,
        scope: apiScopes.map((s) => s.slice(resource.length + 1)).join(' '),
      });
    } catch (error) {
      return oauthError('invalid_scope', (error as Error).message);
    }
    let refreshToken: string | undefined;
    if (grant.scopes.includes('offline_access')) {
      refreshToken = randomBytes(32).toString('base64url');
      this.refreshTokens.set(refreshToken, grant);
    }
    return {
      status: 200,
      json: {
        token_type: 'Bearer',
        scope: apiScopes.join(' '),
        expires_in: 3600,
        access_token: accessToken,
        ...(refreshToken
          ? {
              refresh_token: refreshToken,
              // What Entra ID tells a single-page app: seconds left of the refresh token's fixed lifetime.
              refresh_token_expires_in: Math.floor((grant.expiresAt - this.now()) / 1000),
            }
          : {}),
        id_token: await this.identity.userToken(grant.userPrincipalName, grant.clientId, {
          kind: 'id',
          ...(nonce ? { nonce } : {}),
        }),
      },
    };
  }

  private originProblem(origin: string | undefined): SignInResult | undefined {
    if (origin || this.lenient.spaTokensWithoutOrigin) return undefined;
    return oauthError(
      'invalid_request',
      "AADSTS9002327: Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
    );
  }

  private sessionUser(cookieHeader: string | undefined): string | undefined {
    const session = readCookie(cookieHeader, SESSION_COOKIE);
    const upn = session ? this.sessions.get(session) : undefined;
    return upn && [...this.users()].some((u) => u.userPrincipalName === upn) ? upn : undefined;
  }

  private backWithCode(params: URLSearchParams, userPrincipalName: string): SignInResult {
    const code = randomBytes(32).toString('base64url');
    this.codes.set(code, {
      clientId: params.get('client_id')!,
      redirectUri: params.get('redirect_uri')!,
      codeChallenge: params.get('code_challenge')!,
      scopes: (params.get('scope') ?? '').split(' ').filter(Boolean),
      userPrincipalName,
      ...(params.get('nonce') ? { nonce: params.get('nonce')! } : {}),
      expiresAt: this.now() + CODE_LIFETIME_MS,
    });
    return this.back(params, { code });
  }

  private backWithError(params: URLSearchParams, error: string, description: string): SignInResult {
    return this.back(params, { error, error_description: description });
  }

  private back(params: URLSearchParams, answer: Record<string, string>): SignInResult {
    const back = new URL(params.get('redirect_uri')!);
    const state = params.get('state');
    if (state) back.searchParams.set('state', state);
    for (const [name, value] of Object.entries(answer)) back.searchParams.set(name, value);
    return { status: 302, headers: { location: back.toString() } };
  }

  /** CORS for the token endpoint: only the origins of registered redirect URIs. */
  corsHeaders(origin: string | undefined): Record<string, string> {
    if (!origin) return {};
    const allowed = [...this.redirectUris.values()].some((uris) =>
      [...uris].some((uri) => new URL(uri).origin === origin),
    );
    return allowed ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
  }

  private requestProblem(params: URLSearchParams): string | undefined {
    const clientId = params.get('client_id') ?? '';
    if (!this.knownClient(clientId)) return `AADSTS700016: Application ${clientId} is not registered in the tenant.`;
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!this.redirectUris.get(clientId)?.has(redirectUri))
      return `AADSTS50011: The redirect URI ${redirectUri} is not registered for the application.`;
    if (params.get('response_type') !== 'code') return 'AADSTS900144: response_type must be code.';
    if (!params.get('code_challenge') || params.get('code_challenge_method') !== 'S256')
      return 'AADSTS9002325: Proof Key for Code Exchange (S256) is required for single-page apps.';
    return undefined;
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=') || undefined;
  }
  return undefined;
}

function oauthError(error: string, description: string): SignInResult {
  return { status: 400, json: { error, error_description: description } };
}

function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>` +
    `<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}` +
    `ul{list-style:none;padding:0}button{display:block;width:100%;margin:.5rem 0;padding:.8rem;font-size:1rem;text-align:left}` +
    `small{display:block;color:#555}</style></head><body>${body}</body></html>`
  );
}

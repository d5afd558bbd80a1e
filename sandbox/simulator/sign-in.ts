import { createHash, randomBytes } from 'node:crypto';
import { escapeHtml } from '../../src/http/escape-html';
import type { IdentityProvider } from './identity-provider';
import type { SimUser } from './model';

/**
 * The simulator's browser sign-in: Entra ID's authorization code flow with PKCE, as a single-page
 * app (the release page) uses it. `/authorize` shows a sign-in screen where you pick a demo user;
 * the token endpoint redeems the code cross-origin (CORS, as Entra ID allows for SPA redirect URIs).
 * Only redirect URIs registered for the app are accepted, so the page's real redirect logic is tested.
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

export class BrowserSignIn {
  private readonly codes = new Map<string, PendingCode>();
  private readonly redirectUris = new Map<string, Set<string>>();

  constructor(
    private readonly identity: IdentityProvider,
    private readonly users: () => Iterable<SimUser>,
    private readonly knownClient: (clientId: string) => boolean,
  ) {}

  /** Registers a single-page-app redirect URI for an app (Entra ID: Authentication > Single-page application). */
  registerRedirectUri(clientId: string, redirectUri: string): void {
    const uris = this.redirectUris.get(clientId) ?? new Set<string>();
    uris.add(redirectUri);
    this.redirectUris.set(clientId, uris);
  }

  /** GET /authorize: checks the request, then shows the sign-in screen (POSTs back to itself). */
  authorize(query: URLSearchParams): SignInResult {
    const problem = this.requestProblem(query);
    if (problem) return { status: 400, html: page('Sign-in error', `<p role="alert">${escapeHtml(problem)}</p>`) };
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

  /** POST /authorize: the user picked an account; back to the app with a code (or an error). */
  approve(form: URLSearchParams): SignInResult {
    const problem = this.requestProblem(form);
    if (problem) return { status: 400, html: page('Sign-in error', `<p role="alert">${escapeHtml(problem)}</p>`) };
    const redirectUri = form.get('redirect_uri')!;
    const state = form.get('state');
    const user = [...this.users()].find(
      (u) => u.userPrincipalName.toLowerCase() === (form.get('login_hint') ?? '').toLowerCase(),
    );
    const back = new URL(redirectUri);
    if (state) back.searchParams.set('state', state);
    if (!user) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'No such user in the simulated tenant.');
      return { status: 302, headers: { location: back.toString() } };
    }
    const code = randomBytes(32).toString('base64url');
    this.codes.set(code, {
      clientId: form.get('client_id')!,
      redirectUri,
      codeChallenge: form.get('code_challenge')!,
      scopes: (form.get('scope') ?? '').split(' ').filter(Boolean),
      userPrincipalName: user.userPrincipalName,
      ...(form.get('nonce') ? { nonce: form.get('nonce')! } : {}),
      expiresAt: Date.now() + CODE_LIFETIME_MS,
    });
    back.searchParams.set('code', code);
    return { status: 302, headers: { location: back.toString() } };
  }

  /** The token endpoint's authorization_code grant: one use, PKCE checked, same client and redirect URI. */
  async redeem(form: URLSearchParams): Promise<SignInResult> {
    const code = form.get('code') ?? '';
    const pending = this.codes.get(code);
    this.codes.delete(code); // a code is good once, even when the redemption fails
    if (!pending || pending.expiresAt < Date.now())
      return oauthError('invalid_grant', 'The authorization code is invalid or has expired.');
    if (pending.clientId !== form.get('client_id') || pending.redirectUri !== form.get('redirect_uri'))
      return oauthError('invalid_grant', 'The code was issued to another client or redirect URI.');
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== pending.codeChallenge)
      return oauthError('invalid_grant', 'The code_verifier does not match the code_challenge.');
    const apiScopes = pending.scopes.filter((s) => s.includes('/'));
    const resource = apiScopes[0]?.replace(/\/[^/]+$/, '');
    if (!resource) return oauthError('invalid_scope', 'Ask for a scope of an API, e.g. <client id>/Release.Use.');
    let accessToken: string;
    try {
      accessToken = await this.identity.userToken(pending.userPrincipalName, resource, {
        clientId: pending.clientId,
        scope: apiScopes.map((s) => s.slice(resource.length + 1)).join(' '),
      });
    } catch (error) {
      return oauthError('invalid_scope', (error as Error).message);
    }
    return {
      status: 200,
      json: {
        token_type: 'Bearer',
        scope: apiScopes.join(' '),
        expires_in: 3600,
        access_token: accessToken,
        id_token: await this.identity.userToken(pending.userPrincipalName, pending.clientId, {
          kind: 'id',
          ...(pending.nonce ? { nonce: pending.nonce } : {}),
        }),
      },
    };
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

import { createHash, randomBytes } from 'node:crypto';
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { SPA_REFRESH_TOKEN_LIFETIME_MS } from '../../sandbox/simulator/sign-in';
import { userTokenVerifier } from '../../src/release/user-token';

/**
 * The simulator's browser sign-in (authorization code + PKCE) over real HTTP, and the token it
 * issues accepted by Release Gate's own verifier: the same code path as in Azure.
 */
describe('simulator: browser sign-in for the release page', () => {
  let sim: Simulator;
  const redirectUri = 'http://127.0.0.1:7071/api/release';
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const scope = `openid profile ${DEMO_APP_CLIENT_ID}/Release.Use`;
  const authorizeUrl = () => `${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/authorize`;
  const params = (overrides: Record<string, string> = {}) =>
    new URLSearchParams({
      client_id: DEMO_APP_CLIENT_ID,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope,
      state: 'xyz',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...overrides,
    });

  async function codeFor(upn: string, overrides: Record<string, string> = {}): Promise<string> {
    const response = await fetch(authorizeUrl(), {
      method: 'POST',
      body: params({ login_hint: upn, ...overrides }),
      redirect: 'manual',
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz');
    return location.searchParams.get('code')!;
  }

  const tokenUrl = () => `${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`;
  const redeem = (code: string, codeVerifier = verifier, options: { origin?: string | null; scope?: string } = {}) =>
    fetch(tokenUrl(), {
      method: 'POST',
      headers: options.origin === null ? {} : { origin: options.origin ?? 'http://127.0.0.1:7071' },
      body: new URLSearchParams({
        client_id: DEMO_APP_CLIENT_ID,
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: codeVerifier,
        scope: options.scope ?? scope,
      }),
    });
  const refresh = (refreshToken: string, origin: string | null = 'http://127.0.0.1:7071') =>
    fetch(tokenUrl(), {
      method: 'POST',
      headers: origin === null ? {} : { origin },
      body: new URLSearchParams({
        client_id: DEMO_APP_CLIENT_ID,
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        scope: `offline_access ${scope}`,
      }),
    });
  type Tokens = { access_token: string; refresh_token?: string; refresh_token_expires_in?: number };

  beforeAll(async () => {
    sim = await startSimulator();
    sim.signIn.registerRedirectUri(DEMO_APP_CLIENT_ID, redirectUri);
  });
  afterAll(async () => sim?.stop());

  it('shows a sign-in screen listing the demo users', async () => {
    const response = await fetch(`${authorizeUrl()}?${params()}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Adele Vance');
    expect(html).toContain('name="code_challenge"');
  });

  it('refuses an unregistered redirect URI, and a request without PKCE', async () => {
    const elsewhere = await fetch(`${authorizeUrl()}?${params({ redirect_uri: 'https://evil.example/steal' })}`);
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain('AADSTS50011');
    const plain = await fetch(`${authorizeUrl()}?${params({ code_challenge_method: 'plain' })}`);
    expect(plain.status).toBe(400);
  });

  it('issues a token Release Gate’s verifier accepts, with CORS for the page’s origin', async () => {
    const response = await redeem(await codeFor('adele@contoso.example'));
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:7071');
    const body = (await response.json()) as { access_token: string; id_token: string };
    const verify = userTokenVerifier({
      authorityHost: sim.authorityHost,
      tenantId: sim.tenantId,
      audiences: [DEMO_APP_CLIENT_ID],
      clientId: DEMO_APP_CLIENT_ID,
      requiredScope: 'Release.Use',
    });
    await expect(verify(`Bearer ${body.access_token}`)).resolves.toMatchObject({
      objectId: sim.demo!.users.adele.id,
      userPrincipalName: 'adele@contoso.example',
    });
    // The ID token of the same sign-in has our client id as audience too, but grants nothing.
    await expect(verify(`Bearer ${body.id_token}`)).rejects.toThrow(/no scp/);
  });

  it('refuses a wrong code_verifier, and any code a second time', async () => {
    const code = await codeFor('megan@contoso.example');
    const wrong = await redeem(code, randomBytes(32).toString('base64url'));
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_grant');
    // The code was spent by the failed attempt: a thief who guesses later gets nothing either.
    expect((await redeem(code)).status).toBe(400);
  });

  it('redeems a single-page app’s code only cross-origin (AADSTS9002327), as Entra ID', async () => {
    const response = await redeem(await codeFor('adele@contoso.example'), verifier, { origin: null });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request', error_description: /AADSTS9002327/ });
  });

  it('gives a refresh token with offline_access; it lasts 24 hours from sign-in and is never extended', async () => {
    const withoutOffline = (await (await redeem(await codeFor('adele@contoso.example'))).json()) as Tokens;
    expect(withoutOffline.refresh_token).toBeUndefined();

    const code = await codeFor('adele@contoso.example', { scope: `offline_access ${scope}` });
    const first = (await (await redeem(code)).json()) as Tokens;
    expect(first.refresh_token).toEqual(expect.any(String));
    expect(first.refresh_token_expires_in).toBeGreaterThan(SPA_REFRESH_TOKEN_LIFETIME_MS / 1000 - 5);
    const start = Date.now();
    try {
      // 23 hours later: refreshed, and the new refresh token keeps the first one's expiry.
      sim.signIn.now = () => start + 23 * 3600_000;
      const refreshed = await refresh(first.refresh_token!);
      expect(refreshed.status).toBe(200);
      expect(refreshed.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:7071');
      const second = (await refreshed.json()) as Tokens;
      expect(second.refresh_token_expires_in).toBeLessThanOrEqual(3600);
      // Without an Origin (not from the page's browser): refused.
      expect((await refresh(second.refresh_token!, null)).status).toBe(400);
      // A day after the sign-in: both refused, a new interactive sign-in is needed.
      sim.signIn.now = () => start + SPA_REFRESH_TOKEN_LIFETIME_MS + 1000;
      for (const token of [first.refresh_token!, second.refresh_token!]) {
        const expired = await refresh(token);
        expect(expired.status).toBe(400);
        expect(await expired.json()).toMatchObject({ error: 'invalid_grant', error_description: /AADSTS700084/ });
      }
    } finally {
      sim.signIn.now = Date.now;
    }
  });

  it('remembers the sign-in on the authority: no prompt unless prompt=select_account; logout ends it', async () => {
    const signIn = await fetch(authorizeUrl(), {
      method: 'POST',
      body: params({ login_hint: 'megan@contoso.example' }),
      redirect: 'manual',
    });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toMatch(/^sim_session=.+/);
    const again = await fetch(`${authorizeUrl()}?${params()}`, { headers: { cookie }, redirect: 'manual' });
    expect(again.status).toBe(302);
    const code = new URL(again.headers.get('location')!).searchParams.get('code')!;
    const token = (await (await redeem(code)).json()) as Tokens;
    const claims = JSON.parse(Buffer.from(token.access_token.split('.')[1]!, 'base64url').toString()) as {
      preferred_username: string;
    };
    expect(claims.preferred_username).toBe('megan@contoso.example');
    const pick = await fetch(`${authorizeUrl()}?${params({ prompt: 'select_account' })}`, { headers: { cookie } });
    expect(pick.status).toBe(200);
    expect(await pick.text()).toContain('Pick an account');

    const logoutUrl = `${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/logout`;
    const elsewhere = await fetch(
      `${logoutUrl}?post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`,
      {
        headers: { cookie },
        redirect: 'manual',
      },
    );
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain('AADSTS50011');
    const out = await fetch(
      `${logoutUrl}?client_id=${DEMO_APP_CLIENT_ID}&post_logout_redirect_uri=${encodeURIComponent(redirectUri)}`,
      { headers: { cookie }, redirect: 'manual' },
    );
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe(redirectUri);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    // The session is over: the next sign-in asks again; prompt=none says login_required.
    expect((await fetch(`${authorizeUrl()}?${params()}`, { headers: { cookie }, redirect: 'manual' })).status).toBe(
      200,
    );
    const silent = await fetch(`${authorizeUrl()}?${params({ prompt: 'none' })}`, {
      headers: { cookie },
      redirect: 'manual',
    });
    expect(new URL(silent.headers.get('location')!).searchParams.get('error')).toBe('login_required');
  });

  it('lenient by name only: a sliding 24 hours and redemption without Origin, as a stand-in would hide them', async () => {
    const lenient = await startSimulator({
      seedDemoShares: false,
      lenient: { slidingSpaRefreshTokens: true, spaTokensWithoutOrigin: true },
    });
    try {
      lenient.signIn.registerRedirectUri(DEMO_APP_CLIENT_ID, redirectUri);
      const base = `${lenient.authorityHost}/${lenient.tenantId}/oauth2/v2.0`;
      const approved = await fetch(`${base}/authorize`, {
        method: 'POST',
        body: params({ login_hint: 'adele@contoso.example', scope: `offline_access ${scope}` }),
        redirect: 'manual',
      });
      const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
      const tokenRequest = (fields: Record<string, string>) =>
        fetch(`${base}/token`, {
          method: 'POST',
          body: new URLSearchParams({ client_id: DEMO_APP_CLIENT_ID, scope: `offline_access ${scope}`, ...fields }),
        });
      // No Origin: accepted only because of the flag.
      const first = (await (
        await tokenRequest({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
        })
      ).json()) as Tokens;
      expect(first.refresh_token).toEqual(expect.any(String));
      const start = Date.now();
      lenient.signIn.now = () => start + 23 * 3600_000;
      const second = (await (
        await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token! })
      ).json()) as Tokens;
      // Sliding: a new 24 hours from the refresh, where Entra ID keeps the first sign-in's end.
      expect(second.refresh_token_expires_in).toBeGreaterThan(SPA_REFRESH_TOKEN_LIFETIME_MS / 1000 - 5);
      lenient.signIn.now = () => start + 30 * 3600_000;
      expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: second.refresh_token! })).status).toBe(
        200,
      );
    } finally {
      await lenient.stop();
    }
  });
});

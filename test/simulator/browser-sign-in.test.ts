import { createHash, randomBytes } from 'node:crypto';
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
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

  async function codeFor(upn: string): Promise<string> {
    const response = await fetch(authorizeUrl(), {
      method: 'POST',
      body: params({ login_hint: upn }),
      redirect: 'manual',
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz');
    return location.searchParams.get('code')!;
  }

  const redeem = (code: string, codeVerifier = verifier) =>
    fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { origin: 'http://127.0.0.1:7071' },
      body: new URLSearchParams({
        client_id: DEMO_APP_CLIENT_ID,
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: codeVerifier,
        scope,
      }),
    });

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
});

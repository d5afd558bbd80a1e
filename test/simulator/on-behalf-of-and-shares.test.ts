/* eslint-disable @typescript-eslint/no-explicit-any -- the assertions read JSON bodies */
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID, DEMO_APP_SECRET } from '../../sandbox/simulator/demo-tenant';

/**
 * The simulator's Entra ID on-behalf-of grant and Graph's share access control, as strict as the docs:
 * only a user access token for the calling app can be traded; share access (allowAllUsers,
 * allowedUsers, allowedGroups) needs the delegated PrinterShare.Read.All and no application token reads it.
 */
describe('simulator: on-behalf-of and printer share access', () => {
  let sim: Simulator;
  const GRAPH = 'https://graph.microsoft.com';

  const obo = async (
    assertion: string,
    scope = `${GRAPH}/PrinterShare.Read.All`,
    clientId = DEMO_APP_CLIENT_ID,
    secret = DEMO_APP_SECRET,
  ) => {
    const response = await fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        client_id: clientId,
        client_secret: secret,
        assertion,
        scope: `${scope} openid profile offline_access`,
      }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const graph = async (path: string, token: string) => {
    const response = await fetch(`${sim.graphBaseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const shareOf = (printerId: string) =>
    [...sim.printerRegistry.shares.values()].find((s) => s.printerId === printerId)!;

  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => sim?.stop());

  it('trades a user access token for our app into a Graph token as that user; an ID token or another audience is refused', async () => {
    const access = await sim.identity.userToken('adele@contoso.example', DEMO_APP_CLIENT_ID);
    const traded = await obo(access);
    expect(traded.status).toBe(200);
    const claims = JSON.parse(Buffer.from(traded.body.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ oid: sim.demo!.users.adele.id, idtyp: 'user', appid: DEMO_APP_CLIENT_ID });
    expect(claims.scp.split(' ')).toContain('PrinterShare.Read.All');

    const idToken = await sim.identity.userToken('adele@contoso.example', DEMO_APP_CLIENT_ID, { kind: 'id' });
    expect(await obo(idToken)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const other = '33333333-4444-4555-8666-777777777777';
    sim.tenant.apps.set(other, {
      clientId: other,
      secret: 's',
      displayName: 'Other API',
      applicationPermissions: [],
      delegatedPermissions: [],
      exposedScopes: ['Use'],
    });
    const forOther = await sim.identity.userToken('adele@contoso.example', other);
    expect(await obo(forOther)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await obo(access, `${GRAPH}/Mail.Read`)).toMatchObject({
      status: 400,
      body: { error_description: expect.stringContaining('AADSTS65001') },
    });
  });

  it('share access needs delegated PrinterShare.Read.All: allowedUsers, allowedGroups and allowAllUsers', async () => {
    const hr = shareOf(sim.demo!.printers.hr.id);
    const hq = shareOf(sim.demo!.printers.floor1Color.id);
    const asAdele = (await obo(await sim.identity.userToken('adele@contoso.example', DEMO_APP_CLIENT_ID))).body
      .access_token as string;
    const listed = await graph(`/print/printers/${sim.demo!.printers.hr.id}/shares`, asAdele);
    expect(listed.body.value).toEqual([expect.not.objectContaining({ allowAllUsers: expect.anything() })]);
    expect((await graph(`/print/shares/${hr.id}`, asAdele)).body).toMatchObject({ allowAllUsers: false });
    expect((await graph(`/print/shares/${hr.id}/allowedUsers`, asAdele)).body.value).toEqual([
      expect.objectContaining({ id: sim.demo!.users.admin.id }),
    ]);
    expect((await graph(`/print/shares/${hq.id}/allowedGroups`, asAdele)).body.value).toEqual([
      { id: sim.demo!.groups.staff },
    ]);

    // ReadBasic.All "does not allow reading access control information".
    const basic = '44444444-5555-4666-8777-888888888888';
    sim.tenant.apps.set(basic, {
      clientId: basic,
      secret: 'b',
      displayName: 'Basic reader',
      applicationPermissions: [],
      delegatedPermissions: ['PrinterShare.ReadBasic.All'],
      exposedScopes: ['Use'],
    });
    const basicToken = (
      await obo(
        await sim.identity.userToken('adele@contoso.example', basic),
        `${GRAPH}/PrinterShare.ReadBasic.All`,
        basic,
        'b',
      )
    ).body.access_token as string;
    expect((await graph(`/print/shares/${hr.id}/allowedUsers`, basicToken)).status).toBe(403);
    expect((await graph(`/print/shares/${hr.id}`, basicToken)).body).not.toHaveProperty('allowAllUsers');

    // No application permission reads shares.
    const app = await fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: DEMO_APP_CLIENT_ID,
        client_secret: DEMO_APP_SECRET,
        scope: `${GRAPH}/.default`,
      }),
    });
    const appToken = ((await app.json()) as { access_token: string }).access_token;
    expect((await graph(`/print/shares/${hr.id}/allowedUsers`, appToken)).status).toBe(403);
  });
});

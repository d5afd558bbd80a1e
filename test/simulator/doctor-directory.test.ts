import { ClientSecretCredential, DeviceCodeCredential } from '@azure/identity';
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, DEMO_OPT_INS } from '../../sandbox/simulator/demo-tenant';
import {
  GRAPH_APP_ROLE_IDS,
  MICROSOFT_GRAPH_SP_ID,
  servicePrincipalIdOf,
} from '../../sandbox/simulator/directory-routes';
import { PERMISSION_OPT_INS, graphPermission, permissionsFor } from '../../src/graph/app-permissions';

/**
 * The directory reads `npm run doctor` makes, against Graph's documented contract: a service principal
 * by app id, its app role assignments, and the permissions each needs (serviceprincipal-get.md,
 * serviceprincipal-list-approleassignments.md: Application.Read.All at least, delegated or application).
 */
describe('simulator: service principals and app role assignments', () => {
  let sim: Simulator;
  let appToken: string;
  let adminToken: string;
  const graph = 'https://graph.microsoft.com';
  const get = async (path: string, token: string) => {
    const response = await fetch(`${sim.graphBaseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const adminSignIn = async () =>
    (
      await new DeviceCodeCredential({
        tenantId: sim.tenantId,
        clientId: DEMO_APP_CLIENT_ID,
        authorityHost: sim.authorityHost,
        disableInstanceDiscovery: true,
        userPromptCallback: () => undefined,
      }).getToken(`${graph}/.default`)
    ).token;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    const app = new ClientSecretCredential(sim.tenantId, DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, {
      authorityHost: sim.authorityHost,
      disableInstanceDiscovery: true,
    });
    appToken = (await app.getToken(`${graph}/.default`)).token;
    adminToken = await adminSignIn();
  });
  afterAll(async () => sim?.stop());

  it('finds a service principal by app id, quotes plain or percent-encoded', async () => {
    const spId = servicePrincipalIdOf(DEMO_APP_CLIENT_ID);
    for (const path of [
      `/servicePrincipals(appId='${DEMO_APP_CLIENT_ID}')`,
      `/servicePrincipals(appId=%27${DEMO_APP_CLIENT_ID}%27)`,
    ]) {
      const { status, body } = await get(path, adminToken);
      expect(status).toBe(200);
      expect(body).toMatchObject({ id: spId, appId: DEMO_APP_CLIENT_ID, displayName: 'Release Gate' });
    }
    expect(
      (await get(`/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')`, adminToken)).body,
    ).toMatchObject({
      id: MICROSOFT_GRAPH_SP_ID,
      displayName: 'Microsoft Graph',
    });
    expect((await get(`/servicePrincipals(appId='99999999-0000-4000-8000-000000000000')`, adminToken)).status).toBe(
      404,
    );
  });

  it("lists the app's granted application permissions as Microsoft Graph app role ids", async () => {
    const { status, body } = await get(
      `/servicePrincipals/${servicePrincipalIdOf(DEMO_APP_CLIENT_ID)}/appRoleAssignments`,
      adminToken,
    );
    expect(status).toBe(200);
    const assignments = body.value as { appRoleId: string; resourceId: string; principalType: string }[];
    expect(
      assignments.every((a) => a.resourceId === MICROSOFT_GRAPH_SP_ID && a.principalType === 'ServicePrincipal'),
    ).toBe(true);
    // Every application permission the code declares, opt-ins included, is a role the simulator knows by its
    // id in src/graph/app-permissions.ts (Printer.ReadWrite.All's application id, not its delegated one).
    const declared = permissionsFor('application', Object.keys(PERMISSION_OPT_INS));
    expect(declared.map((p) => p.name)).toEqual(
      expect.arrayContaining(['PrintJob.ReadBasic.All', 'Printer.ReadWrite.All', 'User.Read.All', 'PrintJob.Read.All']),
    );
    for (const p of declared) expect(GRAPH_APP_ROLE_IDS[p.name]).toBe(p.id);
    // The demo app has every opt-in but page counting's document permission (the sandbox adds it when on).
    const demoGrants = permissionsFor('application', DEMO_OPT_INS);
    expect(declared.filter((p) => !demoGrants.includes(p)).map((p) => p.name)).toEqual(['PrintJob.Read.All']);
    expect(GRAPH_APP_ROLE_IDS['Printer.ReadWrite.All']).toBe(
      graphPermission('Printer.ReadWrite.All', 'application').id,
    );
    expect(assignments.map((a) => a.appRoleId).sort()).toEqual(demoGrants.map((p) => p.id).sort());
  });

  it('does not invent an app role id for a permission the code does not declare', async () => {
    expect(GRAPH_APP_ROLE_IDS['Mail.Read']).toBeUndefined();
    const app = sim.tenant.apps.get(DEMO_APP_CLIENT_ID)!;
    const saved = [...app.applicationPermissions];
    app.applicationPermissions = [...saved, 'Mail.Read'];
    try {
      const { status, body } = await get(
        `/servicePrincipals/${servicePrincipalIdOf(DEMO_APP_CLIENT_ID)}/appRoleAssignments`,
        adminToken,
      );
      expect(status).toBe(501);
      expect(JSON.stringify(body)).toMatch(/does not know Microsoft Graph's app role Mail\.Read/);
    } finally {
      app.applicationPermissions = saved;
    }
  });

  it('needs Application.Read.All (or Directory.Read.All) delegated or as the app; an app may read only its own principal without', async () => {
    const spId = servicePrincipalIdOf(DEMO_APP_CLIENT_ID);
    // The app's token has no directory permission: its own principal, yes; Graph's and the assignments, no.
    expect((await get(`/servicePrincipals(appId='${DEMO_APP_CLIENT_ID}')`, appToken)).status).toBe(200);
    expect((await get(`/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')`, appToken)).status).toBe(403);
    const denied = await get(`/servicePrincipals/${spId}/appRoleAssignments`, appToken);
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body)).toMatch(/Application\.Read\.All/);

    const app = sim.tenant.apps.get(DEMO_APP_CLIENT_ID)!;
    app.delegatedPermissions = app.delegatedPermissions.filter((p) => p !== 'Application.Read.All');
    try {
      const withoutConsent = await adminSignIn();
      expect((await get(`/servicePrincipals(appId='${DEMO_APP_CLIENT_ID}')`, withoutConsent)).status).toBe(403);
      expect((await get(`/servicePrincipals/${spId}/appRoleAssignments`, withoutConsent)).status).toBe(403);
    } finally {
      app.delegatedPermissions.push('Application.Read.All');
    }
  });
});

import { generate } from 'selfsigned';
import { parseSettings } from '../../src/config/load-settings';
import { appCredential } from '../../src/identity/app-credential';
import { CLOUDS, graphEndpoints } from '../../src/graph/graph-endpoints';
import { settingsSecretStore } from '../../src/secrets/secret-store';
import {
  MANAGED_IDENTITY_PRINCIPAL_ID,
  startKeyVaultStandIn,
  type KeyVaultStandIn,
} from '../../sandbox/key-vault-stand-in';
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID, DEMO_APP_SECRET } from '../../sandbox/simulator/demo-tenant';

/**
 * The app credential each setting selects, getting a real token (MSAL underneath) from the
 * simulator's Entra ID: client secret, client certificate, and the secretless default where the
 * managed identity's token is the app's federated client assertion.
 */
describe('app credentials and clouds', () => {
  let sim: Simulator;
  let identity: KeyVaultStandIn;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    sim = await startSimulator();
    identity = await startKeyVaultStandIn(); // its managed-identity endpoint plays the Function App's
    Object.assign(process.env, identity.identityEnvironment);
  });
  afterAll(async () => {
    process.env = savedEnv;
    await identity?.stop();
    await sim?.stop();
  });

  const settingsFor = (credential: string, extra: Record<string, string> = {}) =>
    parseSettings({
      RELEASE_GATE_TENANT_ID: sim.tenantId,
      RELEASE_GATE_APP_CLIENT_ID: DEMO_APP_CLIENT_ID,
      RELEASE_GATE_APP_CREDENTIAL: credential,
      RELEASE_GATE_SECRET_SOURCE: 'settings',
      RELEASE_GATE_CLIENT_STATE: 'x',
      RELEASE_GATE_GRAPH_BASE_URL: sim.url,
      RELEASE_GATE_AUTHORITY_HOST: sim.authorityHost,
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      ...extra,
    });
  const token = async (settings: ReturnType<typeof parseSettings>, secrets = settingsSecretStore({})) => {
    const credential = await appCredential(settings, secrets, graphEndpoints(settings));
    return (await credential.getToken(graphEndpoints(settings).scope))?.token;
  };

  it('secret: a client secret from the secret store (settings locally)', async () => {
    expect(await token(settingsFor('secret', { RELEASE_GATE_APP_SECRET: DEMO_APP_SECRET }))).toMatch(/^ey/);
    await expect(token(settingsFor('secret', { RELEASE_GATE_APP_SECRET: 'wrong' }))).rejects.toThrow();
  });

  it('certificate: a PEM certificate and key from the secret store', async () => {
    const pem = await generate([{ name: 'commonName', value: 'release-gate' }], { keySize: 2048, algorithm: 'sha256' });
    const secrets = settingsSecretStore({ 'graph-app-certificate': { current: `${pem.private}\n${pem.cert}` } });
    expect(await token(settingsFor('certificate'), secrets)).toMatch(/^ey/);
  });

  it("managed-identity: secretless; the identity's token is accepted only where the app trusts it", async () => {
    const app = sim.tenant.apps.get(DEMO_APP_CLIENT_ID)!;
    const requests = identity.stats.tokenRequests;
    await expect(token(settingsFor('managed-identity'))).rejects.toThrow(); // no federated credential yet
    expect(identity.stats.tokenRequests).toBeGreaterThan(requests); // the managed identity was asked
    app.federatedSubjects = [MANAGED_IDENTITY_PRINCIPAL_ID];
    expect(await token(settingsFor('managed-identity'))).toMatch(/^ey/);
  });

  it('one setting picks the Graph and sign-in hosts of each Microsoft cloud', () => {
    const base = { RELEASE_GATE_GRAPH_BASE_URL: '', RELEASE_GATE_AUTHORITY_HOST: '' };
    const of = (cloud: string) =>
      graphEndpoints(settingsFor('secret', { ...base, RELEASE_GATE_APP_SECRET: 's', RELEASE_GATE_CLOUD: cloud }));
    expect(of('global')).toMatchObject({
      baseUrl: 'https://graph.microsoft.com',
      authorityHost: 'https://login.microsoftonline.com',
      scope: 'https://graph.microsoft.com/.default',
      customAuthority: false,
    });
    expect(of('usgov')).toMatchObject({
      baseUrl: 'https://graph.microsoft.us',
      authorityHost: 'https://login.microsoftonline.us',
      scope: 'https://graph.microsoft.us/.default',
    });
    expect(of('usgovdod')).toMatchObject({
      baseUrl: 'https://dod-graph.microsoft.us',
      authorityHost: 'https://login.microsoftonline.us',
    });
    // China (21Vianet) has no Universal Print APIs: the settings refuse it; CLOUDS keeps its hosts as data.
    expect(() => of('china')).toThrow(/RELEASE_GATE_CLOUD is china \(21Vianet\)/);
    expect(CLOUDS.china).toEqual({
      graph: 'https://microsoftgraph.chinacloudapi.cn',
      authority: 'https://login.chinacloudapi.cn',
    });
    expect(Object.keys(CLOUDS)).toEqual(['global', 'usgov', 'usgovdod', 'china']);
    // An overridden host (the simulator) keeps the cloud's scope and version.
    expect(
      graphEndpoints(settingsFor('secret', { RELEASE_GATE_APP_SECRET: 's', RELEASE_GATE_GRAPH_VERSION: 'beta' })),
    ).toMatchObject({
      baseUrl: sim.url,
      version: 'beta',
      scope: 'https://graph.microsoft.com/.default',
      customAuthority: true,
    });
  });
});

import { ClientSecretCredential } from '@azure/identity';
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID, DEMO_APP_SECRET } from '../../sandbox/simulator/demo-tenant';
import { DEMO_PRINTER_IDS } from '../../sandbox/demo/demo-printers';
import { encodeQueryValue, filterEquals, filterStartsWithAny, odataString } from '../../src/graph/odata-filter';
import { appApi } from '../support/simulator-clients';

/**
 * Graph `$filter` values go through one helper (src/graph/odata-filter.ts): a value is an OData
 * literal and the whole filter is percent-encoded, so nothing in a value can add a condition.
 */
describe('$filter values: one encoder, the real SDK, the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
    // Directory values with every character that changes a URL or an OData expression.
    sim.tenant.users.set('00000000-0000-4000-8000-00000000aa01', {
      id: '00000000-0000-4000-8000-00000000aa01',
      userPrincipalName: "o'neil_fabrikam.example#EXT#@contoso.example",
      displayName: "Pat O'Neil (guest)",
      groups: [],
      attributes: { employeeId: "G&1+2 #3 %27'" },
      roles: [],
    });
  });
  afterAll(async () => sim?.stop());

  it('doubles quotes and percent-encodes the whole expression (RFC 3986 unreserved only)', () => {
    expect(odataString("it's")).toBe("'it''s'");
    expect(encodeQueryValue("a b'(c)*!")).toBe('a%20b%27%28c%29%2A%21');
    expect(filterEquals('employeeId', '%27 or x eq %27y')).toBe('employeeId%20eq%20%27%2527%20or%20x%20eq%20%2527y%27');
    expect(() => filterEquals("employeeId eq 'x' or userPrincipalName", 'v')).toThrow('Not a property name');
  });

  it('the badge-injection value finds nobody: it is one literal, never a second condition', async () => {
    const api = appApi(sim);
    const injected = `%27 or userPrincipalName eq %27megan@contoso.example`;
    await expect(api.findUserByAttribute('employeeId', injected)).resolves.toBeUndefined();
    await expect(
      api.findUserByAttribute('employeeId', "' or userPrincipalName eq 'megan@contoso.example"),
    ).resolves.toBeUndefined();
    await expect(api.findUserByAttribute('employeeId', 'E1003')).resolves.toMatchObject({
      userPrincipalName: 'megan@contoso.example',
    });
  });

  it('values with quotes, #, &, + and %27 are matched exactly (a guest #EXT# owner too)', async () => {
    const api = appApi(sim);
    await expect(api.findUserByAttribute('employeeId', "G&1+2 #3 %27'")).resolves.toMatchObject({
      id: '00000000-0000-4000-8000-00000000aa01',
    });
    const upn = "o'neil_fabrikam.example#EXT#@contoso.example";
    const { job } = sim.tenant.submitJob({ printerId: DEMO_PRINTER_IDS.floor2Mono, userPrincipalName: upn });
    sim.tenant.submitJob({ printerId: DEMO_PRINTER_IDS.floor2Mono, userPrincipalName: 'megan@contoso.example' });
    expect((await api.listJobs(DEMO_PRINTER_IDS.floor2Mono, upn)).map((j) => j.id)).toEqual([job.id]);
  });

  it('the simulator, like Graph, refuses an injected expression on users instead of widening it', async () => {
    const options = { authorityHost: sim.authorityHost, disableInstanceDiscovery: true };
    const token = (
      await new ClientSecretCredential(sim.tenantId, DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, options).getToken(
        'https://graph.microsoft.com/.default',
      )
    ).token;
    const raw = (filter: string) =>
      fetch(`${sim.graphBaseUrl}/users?$filter=${filter}`, { headers: { authorization: `Bearer ${token}` } });
    // What the SDK sent before: %27 decoded by the server into a quote that ends the literal.
    const injected = await raw("employeeId eq '%27 or userPrincipalName eq %27megan@contoso.example'");
    expect(injected.status).toBe(400);
    const encoded = await raw(filterEquals('employeeId', 'E1003'));
    expect(encoded.status).toBe(200);
    expect(((await encoded.json()) as { value: { userPrincipalName: string }[] }).value).toEqual([
      expect.objectContaining({ userPrincipalName: 'megan@contoso.example' }),
    ]);
  });

  it('people search (delegates): a prefix with a quote stays one literal; id, name and UPN only; strict permissions', async () => {
    const api = appApi(sim);
    expect(filterStartsWithAny(['displayName', 'mail'], "o'")).toBe(
      'startswith%28displayName%2C%27o%27%27%27%29%20or%20startswith%28mail%2C%27o%27%27%27%29',
    );
    expect(await api.searchPeople("Pat O'")).toEqual([
      {
        id: '00000000-0000-4000-8000-00000000aa01',
        displayName: "Pat O'Neil (guest)",
        userPrincipalName: expect.any(String),
      },
    ]);
    expect(await api.searchPeople("x') or startswith(displayName,'")).toEqual([]);
    expect((await api.searchPeople('meg')).map((p) => p.userPrincipalName)).toEqual(['megan@contoso.example']);
    const megan = (await api.searchPeople('meg'))[0]!;
    expect(await api.findPerson(megan.id)).toEqual(megan);
    expect(await api.findPerson('99999999-9999-4999-8999-999999999999')).toBeUndefined();
    // Without a directory role the app is refused, as Graph refuses it.
    const app = sim.tenant.apps.get(DEMO_APP_CLIENT_ID)!;
    const granted = [...app.applicationPermissions];
    app.applicationPermissions = granted.filter((p) => !/^(User|Directory)\./.test(p));
    try {
      const options = { authorityHost: sim.authorityHost, disableInstanceDiscovery: true };
      const token = (
        await new ClientSecretCredential(sim.tenantId, DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, options).getToken(
          'https://graph.microsoft.com/.default',
        )
      ).token;
      const search = await fetch(`${sim.graphBaseUrl}/users?$filter=${filterStartsWithAny(['displayName'], 'me')}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(search.status).toBe(403);
    } finally {
      app.applicationPermissions = granted;
    }
  });
});

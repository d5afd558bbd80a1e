import { ClientSecretCredential } from '@azure/identity';
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID, DEMO_APP_SECRET } from '../../sandbox/simulator/demo-tenant';
import { createGraphClient } from '../../src/graph/graph-client';
import { PrintApi } from '../../src/graph/print-api';
import { countJobPages } from '../../src/pages/count-job-pages';

/**
 * A job document's content as Graph serves it: `$value` needs PrintJob.Read.All (or ReadWrite.All) and
 * answers 302 to a short-lived pre-authenticated URL, which takes no token. Release Gate's download and
 * page count run against it with the real Graph SDK.
 */
describe('Universal Print simulator: document content ($value)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => sim?.stop());

  const apiFor = (clientId: string, secret: string) =>
    new PrintApi(
      createGraphClient(
        new ClientSecretCredential(sim.tenantId, clientId, secret, {
          authorityHost: sim.authorityHost,
          disableInstanceDiscovery: true,
        }),
        {
          baseUrl: sim.url,
          version: 'v1.0',
          scope: 'https://graph.microsoft.com/.default',
          authorityHost: sim.authorityHost,
          customAuthority: true,
        },
        { maxRetries: 0 },
      ),
    );

  async function printPages(pages: number) {
    const response = await fetch(`${sim.url}/_control/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        printerId: sim.demo!.printers.floor1Color.id,
        userPrincipalName: 'adele@contoso.example',
        document: { displayName: 'Report.pdf', pages },
      }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { job: { id: string; printerId: string } }).job;
  }

  it('refuses the demo app, which has only the Basic job permission, with 403 naming PrintJob.Read.All', async () => {
    const job = await printPages(2);
    const error = await countJobPages(
      { printApi: apiFor(DEMO_APP_CLIENT_ID, DEMO_APP_SECRET), maxBytes: 10_000_000 },
      { id: job.id } as never,
      job.printerId,
    ).catch((e: unknown) => e);
    expect((error as { statusCode?: number }).statusCode).toBe(403);
    expect((error as Error).message).toMatch(/PrintJob\.Read\.All/);
  });

  it('counts the pages of the document through the pre-authenticated URL, which refuses a token', async () => {
    const clientId = '44444444-4444-4444-8444-000000000001';
    sim.tenant.apps.set(clientId, {
      clientId,
      secret: 's',
      displayName: 'Page counter',
      applicationPermissions: ['PrintJob.ReadBasic.All', 'PrintJob.Read.All', 'Printer.Read.All'],
      delegatedPermissions: [],
    });
    const job = await printPages(7);
    const api = apiFor(clientId, 's');
    await expect(
      countJobPages({ printApi: api, maxBytes: 10_000_000 }, { id: job.id } as never, job.printerId),
    ).resolves.toEqual({
      count: 7,
      from: 'document',
    });

    // The link itself: no token needed, a token refused.
    const documentId = (await api.getJob(job.printerId, job.id, { documents: true })).documents![0]!.id;
    const token = (
      await new ClientSecretCredential(sim.tenantId, clientId, 's', {
        authorityHost: sim.authorityHost,
        disableInstanceDiscovery: true,
      }).getToken('https://graph.microsoft.com/.default')
    ).token;
    const redirect = await fetch(
      `${sim.graphBaseUrl}/print/printers/${job.printerId}/jobs/${job.id}/documents/${documentId}/$value`,
      { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' },
    );
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect(location).toMatch(/\/_content\//);
    expect((await fetch(location, { headers: { authorization: `Bearer ${token}` } })).status).toBe(400);
    const download = await fetch(location);
    expect(download.status).toBe(200);
    expect(
      Buffer.from(await download.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any -- the assertions read arbitrary Graph JSON bodies */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ClientSecretCredential, DeviceCodeCredential } from '@azure/identity';
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID, DEMO_APP_SECRET } from '../../sandbox/simulator/demo-tenant';
import { encodePrinterAttributesGroup } from '../../src/setup/ipp-attribute-group';
import { printerCertificateRequest } from '../../admin/setup/printer-csr';
import { PULL_QUEUE_ATTRIBUTES } from '../../src/setup/pull-queue-attributes';
import { simulatorTokens } from '../support/simulator-clients';
import { waitFor } from '../support/wait';

/**
 * The simulator against the request and response shapes of the Graph documentation (v1.0):
 * status codes, bodies, permissions, the subscription rules and notification delivery.
 */
describe('Universal Print simulator: Graph contract', () => {
  let sim: Simulator;
  let appToken: string;
  let adminToken: string;
  let receiver: {
    url: string;
    bodies: unknown[];
    answer: (status: number, delayMs?: number) => void;
    close: () => Promise<void>;
  };

  const call = async (method: string, path: string, body?: unknown, token: string | null = appToken) => {
    const response = await fetch(`${sim.graphBaseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Record<string, any>) : undefined,
    };
  };

  async function startReceiver() {
    const bodies: unknown[] = [];
    let status = 202;
    let delayMs = 0;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const token = url.searchParams.get('validationToken');
        if (token !== null) {
          res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
          return;
        }
        bodies.push(JSON.parse(Buffer.concat(chunks).toString()));
        setTimeout(() => res.writeHead(status).end(), delayMs);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/notifications?code=key`,
      bodies,
      answer: (s: number, d = 0) => ((status = s), (delayMs = d)),
      close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
    };
  }

  beforeAll(async () => {
    sim = await startSimulator({
      notifier: { timeoutMs: 300, slowAfterMs: 290, retryBaseMs: 20, maxAttempts: 3, batchWindowMs: 30 },
    });
    ({ appToken, adminToken } = await simulatorTokens(sim));
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await sim?.stop();
  });

  async function definitionWithTrigger(printer: keyof NonNullable<Simulator['demo']>['printers']) {
    const definition = (
      await call('POST', '/print/taskDefinitions', {
        displayName: `Test ${printer}`,
        createdBy: { displayName: 'Test' },
      })
    ).body!;
    const printerId = sim.demo!.printers[printer].id;
    const trigger = await call(
      'POST',
      `/print/printers/${printerId}/taskTriggers`,
      { event: 'jobStarted', 'definition@odata.bind': `${sim.graphBaseUrl}/print/taskDefinitions/${definition.id}` },
      adminToken,
    );
    expect(trigger.status).toBe(201);
    return { definitionId: definition.id as string, printerId };
  }

  it('refuses requests without a valid token (401) and with the wrong kind of token (403)', async () => {
    expect((await call('GET', '/print/taskDefinitions', undefined, null)).status).toBe(401);
    expect((await call('GET', '/print/taskDefinitions', undefined, 'not.a.token')).body).toMatchObject({
      error: { code: 'InvalidAuthenticationToken' },
    });
    expect((await call('GET', '/print/taskDefinitions', undefined, adminToken)).status).toBe(403); // app-only API
    const trigger = await call('POST', `/print/printers/${sim.demo!.printers.library.id}/taskTriggers`, {
      event: 'jobStarted',
    });
    expect(trigger.status).toBe(403); // delegated-only API
    expect(trigger.body!.error.message).toMatch(/application permissions/);
  });

  it('names the missing application permission', async () => {
    sim.tenant.apps.set('22222222-2222-4222-8222-222222222222', {
      clientId: '22222222-2222-4222-8222-222222222222',
      secret: 's',
      displayName: 'Reader',
      applicationPermissions: ['Printer.Read.All'],
      delegatedPermissions: [],
    });
    const token = (
      await new ClientSecretCredential(sim.tenantId, '22222222-2222-4222-8222-222222222222', 's', {
        authorityHost: sim.authorityHost,
        disableInstanceDiscovery: true,
      }).getToken('https://graph.microsoft.com/.default')
    ).token;
    const response = await call(
      'POST',
      `/print/printers/${sim.demo!.printers.library.id}/jobs/1/redirect`,
      { destinationPrinterId: sim.demo!.printers.hr.id },
      token,
    );
    expect(response).toMatchObject({
      status: 403,
      body: { error: { code: 'AccessDenied', message: expect.stringContaining('PrintJob.Manage.All') } },
    });
  });

  it('task definitions: create 201 with createdBy.appId, get, update, delete 204', async () => {
    const created = await call('POST', '/print/taskDefinitions', {
      displayName: 'Contract',
      createdBy: { displayName: 'Contract' },
    });
    expect(created).toMatchObject({
      status: 201,
      body: { id: expect.any(String), displayName: 'Contract', createdBy: { appId: DEMO_APP_CLIENT_ID } },
    });
    expect(
      (await call('PATCH', `/print/taskDefinitions/${created.body!.id}`, { displayName: 'Renamed' })).body,
    ).toMatchObject({ displayName: 'Renamed' });
    expect((await call('DELETE', `/print/taskDefinitions/${created.body!.id}`)).status).toBe(204);
    expect((await call('GET', `/print/taskDefinitions/${created.body!.id}`)).status).toBe(404);
  });

  it('a job on a printer with a trigger is paused with a processing task; completing the task prints it', async () => {
    const { definitionId, printerId } = await definitionWithTrigger('library');
    const { job, task } = sim.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
    expect(job.id).toMatch(/^\d+$/); // job ids are numeric strings, not GUIDs
    const read = await call('GET', `/print/printers/${printerId}/jobs/${job.id}?$expand=documents,tasks`);
    expect(read.body).toMatchObject({
      status: { state: 'paused', description: 'The job is not a candidate for processing yet.' },
      documents: [{ contentType: 'application/pdf' }],
      tasks: [{ id: task!.id, status: { state: 'processing' } }],
    });
    const fetched = await call('GET', `/print/taskDefinitions/${definitionId}/tasks/${task!.id}`);
    expect(fetched.body).toMatchObject({
      status: { state: 'processing' },
      parentUrl: `${sim.graphBaseUrl}/print/printers/${printerId}/jobs/${job.id}`,
    });
    const patched = await call('PATCH', `/print/taskDefinitions/${definitionId}/tasks/${task!.id}`, {
      status: { state: 'completed', description: 'done' },
    });
    // Graph recalculates the description, whatever was sent.
    expect(patched).toMatchObject({
      status: 200,
      body: { status: { state: 'completed', description: 'Task execution is completed.' } },
    });
    expect(sim.tenant.job(printerId, job.id).status.state).toBe('completed');
    // Only while processing: a second PATCH is refused.
    expect(
      (
        await call('PATCH', `/print/taskDefinitions/${definitionId}/tasks/${task!.id}`, {
          status: { state: 'aborted' },
        })
      ).status,
    ).toBe(400);
  });

  it('update, redirect and abort need our processing task; redirect returns the new job and completes the task', async () => {
    const { definitionId, printerId } = await definitionWithTrigger('floor2Mono');
    const { job, task } = sim.tenant.submitJob({ printerId, userPrincipalName: 'megan@contoso.example' });
    const updated = await call('PATCH', `/print/printers/${printerId}/jobs/${job.id}`, {
      configuration: { colorMode: 'grayscale' },
    });
    expect(updated).toMatchObject({ status: 200, body: { configuration: { colorMode: 'grayscale' } } });
    const destination = sim.demo!.printers.hr.id; // a physical printer without a trigger: the job prints there
    const redirected = await call('POST', `/print/printers/${printerId}/jobs/${job.id}/redirect`, {
      destinationPrinterId: destination,
      configuration: { copies: 2 },
    });
    expect(redirected).toMatchObject({
      status: 200,
      body: {
        id: expect.stringMatching(/^\d+$/),
        redirectedFrom: expect.stringContaining(`/jobs/${job.id}`),
        configuration: { copies: 2, colorMode: 'grayscale' },
      },
    });
    expect(redirected.body!.id).not.toBe(job.id);
    expect(sim.tenant.job(destination, redirected.body!.id).status.state).toBe('completed');
    expect((await call('GET', `/print/taskDefinitions/${definitionId}/tasks/${task!.id}`)).body).toMatchObject({
      status: { state: 'completed' },
    });
    // The task is no longer processing: everything else is refused now.
    expect((await call('POST', `/print/printers/${printerId}/jobs/${job.id}/abort`, {})).status).toBe(400);
    expect(
      (await call('PATCH', `/print/printers/${printerId}/jobs/${job.id}`, { configuration: { copies: 3 } })).status,
    ).toBe(400);

    const second = sim.tenant.submitJob({ printerId, userPrincipalName: 'megan@contoso.example' });
    expect(
      (await call('POST', `/print/printers/${printerId}/jobs/${second.job.id}/abort`, { reason: 'Not allowed' }))
        .status,
    ).toBe(204);
    expect(sim.tenant.job(printerId, second.job.id).status).toMatchObject({
      state: 'aborted',
      description: 'Not allowed',
    });
    expect(second.task!.status.state).toBe('processing'); // the app still closes its task
    expect((await call('POST', `/print/printers/${printerId}/jobs/${second.job.id}/cancel`)).status).toBe(403); // delegated only
  });

  it('triggers: delegated Printer Administrator only, one per printer, creator app must own the definition', async () => {
    const { printerId } = await definitionWithTrigger('floor1Color');
    const other = (await call('POST', '/print/taskDefinitions', { displayName: 'Other' })).body!;
    const second = await call(
      'POST',
      `/print/printers/${printerId}/taskTriggers`,
      { event: 'jobStarted', 'definition@odata.bind': `${sim.graphBaseUrl}/print/taskDefinitions/${other.id}` },
      adminToken,
    );
    expect(second.status).toBe(409);
    const listed = await call('GET', `/print/printers/${printerId}/taskTriggers`, undefined, adminToken);
    expect(listed.body!.value).toHaveLength(1);
    expect(
      (
        await call(
          'DELETE',
          `/print/printers/${printerId}/taskTriggers/${listed.body!.value[0].id}`,
          undefined,
          adminToken,
        )
      ).status,
    ).toBe(204);
  });

  it('subscriptions: handshake first, 4230-minute maximum, 409 for a duplicate, renew, delete', async () => {
    const definition = (await call('POST', '/print/taskDefinitions', { displayName: 'Subscribed' })).body!;
    const resource = `print/taskDefinitions/${definition.id}/tasks`;
    const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
    const base = { changeType: 'created', resource, notificationUrl: receiver.url, clientState: 'state' };
    expect((await call('POST', '/subscriptions', { ...base, expirationDateTime: inMinutes(4300) })).body).toMatchObject(
      { error: { message: expect.stringContaining('4230') } },
    );
    expect(
      (
        await call('POST', '/subscriptions', {
          ...base,
          notificationUrl: 'http://10.1.2.3/x',
          expirationDateTime: inMinutes(60),
        })
      ).status,
    ).toBe(400);
    const created = await call('POST', '/subscriptions', { ...base, expirationDateTime: inMinutes(4200) });
    expect(created).toMatchObject({
      status: 201,
      body: { id: expect.any(String), resource, applicationId: DEMO_APP_CLIENT_ID, latestSupportedTlsVersion: 'v1_2' },
    });
    expect((await call('POST', '/subscriptions', { ...base, expirationDateTime: inMinutes(60) })).body).toMatchObject({
      error: { code: 'Conflict', message: expect.stringContaining('already exists') },
    });
    expect(
      (await call('PATCH', `/subscriptions/${created.body!.id}`, { expirationDateTime: inMinutes(4230) })).status,
    ).toBe(200);
    expect((await call('POST', `/subscriptions/${created.body!.id}/reauthorize`)).status).toBe(204);
    expect((await call('DELETE', `/subscriptions/${created.body!.id}`)).status).toBe(204);
  });

  it('fails subscription creation when the endpoint does not echo the token', async () => {
    const definition = (await call('POST', '/print/taskDefinitions', { displayName: 'Bad endpoint' })).body!;
    const bad = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('wrong'));
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', () => r()));
    try {
      const response = await call('POST', '/subscriptions', {
        changeType: 'created',
        resource: `print/taskDefinitions/${definition.id}/tasks`,
        notificationUrl: `http://127.0.0.1:${(bad.address() as AddressInfo).port}/`,
        clientState: 's',
        expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
      });
      expect(response).toMatchObject({
        status: 400,
        body: { error: { message: expect.stringContaining('validation') } },
      });
    } finally {
      bad.closeAllConnections();
      bad.close();
    }
  });

  it('delivers notifications like Graph: batched, with clientState, resource and parentUrl; retries failures; counts them', async () => {
    const { definitionId, printerId } = await definitionWithTrigger('hr');
    await call('POST', '/subscriptions', {
      changeType: 'created',
      resource: `print/taskDefinitions/${definitionId}/tasks`,
      notificationUrl: receiver.url,
      clientState: 'secret-state',
      expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
    });
    receiver.bodies.length = 0;
    const a = sim.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
    const b = sim.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
    await sim.deliveriesSettled();
    expect(receiver.bodies).toHaveLength(1); // one batch
    const [batch] = receiver.bodies as { value: Record<string, any>[] }[];
    expect(batch!.value.map((n) => n.resourceData.id)).toEqual([a.task!.id, b.task!.id]);
    expect(batch!.value[0]).toMatchObject({
      changeType: 'created',
      clientState: 'secret-state',
      tenantId: sim.tenantId,
      resource: `print/taskDefinitions/${definitionId}/tasks/${a.task!.id}`,
      resourceData: {
        '@odata.type': '#microsoft.graph.printTask',
        parentUrl: `${sim.graphBaseUrl}/print/printers/${printerId}/jobs/${a.job.id}`,
      },
    });

    const before = { ...sim.notifier.stats };
    receiver.answer(503);
    sim.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
    await sim.deliveriesSettled();
    expect(sim.notifier.stats.retries - before.retries).toBe(2);
    expect(sim.notifier.stats.abandoned - before.abandoned).toBe(1);

    receiver.answer(202, 500); // slower than the (shortened) timeout: counted slow, retried
    sim.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
    await sim.deliveriesSettled();
    expect(sim.notifier.stats.slow - before.slow).toBeGreaterThanOrEqual(1);
    receiver.answer(202);

    sim.notifier.dropNext(definitionId, 1); // "a notification that never comes"
    const count = receiver.bodies.length;
    sim.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
    await sim.deliveriesSettled();
    expect(receiver.bodies.length).toBe(count);
    expect(sim.notifier.stats.dropped - before.dropped).toBe(1);
  });

  it('sends reauthorizationRequired to the lifecycle URL before expiry', async () => {
    const lifecycleSim = await startSimulator({ lifecycleLeadMinutes: 10, sweepIntervalMs: 50 });
    try {
      const token = (
        await new ClientSecretCredential(lifecycleSim.tenantId, DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, {
          authorityHost: lifecycleSim.authorityHost,
          disableInstanceDiscovery: true,
        }).getToken('https://graph.microsoft.com/.default')
      ).token;
      const post = (path: string, body: unknown) =>
        fetch(`${lifecycleSim.graphBaseUrl}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then((r) => r.json() as Promise<Record<string, any>>);
      const definition = await post('/print/taskDefinitions', { displayName: 'Lifecycle' });
      receiver.bodies.length = 0;
      await post('/subscriptions', {
        changeType: 'created',
        resource: `print/taskDefinitions/${definition.id}/tasks`,
        notificationUrl: receiver.url,
        lifecycleNotificationUrl: receiver.url,
        clientState: 'lc',
        expirationDateTime: new Date(Date.now() + 5 * 60_000).toISOString(),
      });
      await waitFor('the lifecycle event', () =>
        receiver.bodies.find((b) => JSON.stringify(b).includes('reauthorizationRequired')),
      );
      expect((receiver.bodies[0] as { value: Record<string, unknown>[] }).value[0]).toMatchObject({
        lifecycleEvent: 'reauthorizationRequired',
        clientState: 'lc',
        tenantId: lifecycleSim.tenantId,
      });
    } finally {
      await lifecycleSim.stop();
    }
  });

  it('injects faults per route: 429 with Retry-After, 503, latency, dropped connections, a limited number of times', async () => {
    sim.faults.add({ method: 'GET', path: '^/print/printers$', status: 429, retryAfter: 2.128, times: 1 });
    const throttled = await call('GET', '/print/printers');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2.128');
    expect(throttled.body).toMatchObject({ error: { code: 'TooManyRequests' } });
    expect((await call('GET', '/print/printers')).status).toBe(200); // times: 1

    sim.faults.add({ path: '^/print/printers$', drop: true, times: 1 });
    await expect(call('GET', '/print/printers')).rejects.toThrow();
    sim.faults.add({ path: '^/print/printers$', latencyMs: 200, times: 1 });
    const started = Date.now();
    expect((await call('GET', '/print/printers')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    sim.faults.clear();
  });
  describe('what the first build got wrong (strict by default; each lenient flag restores the old behaviour)', () => {
    let lenientSim: Simulator;
    beforeAll(async () => {
      lenientSim = await startSimulator({
        lenient: {
          virtualPrintersPrint: true,
          taskAbortAbortsJob: true,
          abortEndsTask: true,
          keepTaskDescription: true,
          currentTriggerDecides: true,
          printToStoppedPrinters: true,
        },
      });
    });
    afterAll(async () => lenientSim?.stop());

    /** The lenient tenant, driven through its methods: a trigger of the demo app on one printer. */
    function lenientHeldJob(printer: 'pullQueue' | 'library') {
      const { tenant, demo } = lenientSim;
      const printerId = demo!.printers[printer].id;
      const definition = tenant.createDefinition(`Lenient ${printer}`, demo!.app);
      if (!tenant.printer(printerId).trigger) tenant.createTrigger(printerId, definition.id, demo!.app.clientId);
      const { job, task } = tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
      return { job, task: task!, printerId, definitionId: task!.definitionId };
    }
    /** Our trigger on a printer, replacing whatever trigger earlier tests left on it. */
    function freshTrigger(printer: keyof NonNullable<Simulator['demo']>['printers']) {
      const printerId = sim.demo!.printers[printer].id;
      const existing = sim.tenant.printer(printerId).trigger;
      if (existing) sim.tenant.deleteTrigger(printerId, existing.id);
      return definitionWithTrigger(printer);
    }
    const patchTask = (definitionId: string, taskId: string, state: string, description?: string) =>
      call('PATCH', `/print/taskDefinitions/${definitionId}/tasks/${taskId}`, { status: { state, description } });

    it('completing the task of a job on a virtual printer prints nothing: the job waits for a device that never comes', async () => {
      const { definitionId, printerId } = await freshTrigger('pullQueue');
      const { job, task } = sim.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
      expect((await patchTask(definitionId, task!.id, 'completed')).status).toBe(200);
      const read = await call('GET', `/print/printers/${printerId}/jobs/${job.id}`);
      expect(read.body).toMatchObject({ status: { state: 'pending', isAcquiredByPrinter: false } });

      const lenient = lenientHeldJob('pullQueue');
      lenientSim.tenant.updateTask(lenient.definitionId, lenient.task.id, 'completed', undefined);
      expect(lenient.job.status).toMatchObject({ state: 'completed', isAcquiredByPrinter: true });
    });

    it('a stopped printer (set by the control API, read back by GET printer): redirect or complete onto it is a 409', async () => {
      const control = (s: Simulator, printerId: string, status: unknown) =>
        fetch(`${s.url}/_control/printers/${printerId}/status`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(status),
        });
      const outOfPaper = { state: 'stopped', details: ['mediaEmpty'], description: 'Tray 1 empty' };
      const library = sim.demo!.printers.library.id;
      expect((await control(sim, library, { details: 'mediaEmpty' })).status).toBe(400);
      expect((await control(sim, library, outOfPaper)).status).toBe(200);
      try {
        expect((await call('GET', `/print/printers/${library}`)).body).toMatchObject({ status: outOfPaper });
        const { printerId } = await freshTrigger('floor2Mono');
        const { job } = sim.tenant.submitJob({ printerId, userPrincipalName: 'megan@contoso.example' });
        const redirect = await call('POST', `/print/printers/${printerId}/jobs/${job.id}/redirect`, {
          destinationPrinterId: library,
        });
        expect(redirect).toMatchObject({ status: 409, body: { error: { message: expect.stringMatching(/stopped/) } } });
        const own = await freshTrigger('library');
        const held = sim.tenant.submitJob({ printerId: library, userPrincipalName: 'megan@contoso.example' });
        expect((await patchTask(own.definitionId, held.task!.id, 'completed')).status).toBe(409);
        expect(sim.tenant.job(library, held.job.id).status.state).toBe('paused'); // still held
      } finally {
        await control(sim, library, { state: 'idle', details: [] });
      }
      // Lenient by name: a stand-in that prints to a stopped printer would hide a gate that never checks.
      const lenient = lenientHeldJob('pullQueue');
      lenientSim.tenant.printer(lenientSim.demo!.printers.library.id).status = outOfPaper;
      const moved = lenientSim.tenant.redirectJob(
        lenient.printerId,
        lenient.job.id,
        lenientSim.demo!.printers.library.id,
        undefined,
        lenientSim.demo!.app.clientId,
      );
      expect(moved.printerId).toBe(lenientSim.demo!.printers.library.id);
    });

    it('aborting a task does not abort its job: the job stays paused, and only jobs/{id}/abort (first) stops it', async () => {
      const { definitionId, printerId } = await freshTrigger('floor2Mono');
      const { job, task } = sim.tenant.submitJob({ printerId, userPrincipalName: 'megan@contoso.example' });
      expect((await patchTask(definitionId, task!.id, 'aborted', 'Denied')).status).toBe(200);
      expect(sim.tenant.job(printerId, job.id).status.state).toBe('paused'); // blocked, not aborted
      // With the task ended the job can no longer be aborted: abort the job, then close the task.
      expect(
        (await call('POST', `/print/printers/${printerId}/jobs/${job.id}/abort`, { reason: 'Denied' })).status,
      ).toBe(400);
      const second = sim.tenant.submitJob({ printerId, userPrincipalName: 'megan@contoso.example' });
      expect(
        (await call('POST', `/print/printers/${printerId}/jobs/${second.job.id}/abort`, { reason: 'Denied' })).status,
      ).toBe(204);
      expect(sim.tenant.tasks.get(second.task!.id)!.status.state).toBe('processing'); // the app still ends its task
      expect((await patchTask(definitionId, second.task!.id, 'aborted')).status).toBe(200);
      expect(sim.tenant.job(printerId, second.job.id).status).toMatchObject({
        state: 'aborted',
        description: 'Denied',
      });

      const lenient = lenientHeldJob('library');
      lenientSim.tenant.updateTask(lenient.definitionId, lenient.task.id, 'aborted', 'Denied');
      expect(lenient.job.status).toMatchObject({ state: 'aborted', description: 'Denied' });
      // abortEndsTask: the other inference, a job abort that ends the task as well.
      const ended = lenientHeldJob('library');
      lenientSim.tenant.abortJob(ended.printerId, ended.job.id, 'Denied', lenientSim.demo!.app.clientId);
      expect(ended.task.status.state).toBe('aborted');
    });

    it('recalculates task descriptions like Graph; keepTaskDescription echoes ours', async () => {
      const { definitionId, printerId } = await freshTrigger('hr');
      const first = sim.tenant.submitJob({ printerId, userPrincipalName: 'megan@contoso.example' });
      const second = sim.tenant.submitJob({ printerId, userPrincipalName: 'megan@contoso.example' });
      expect(
        (await patchTask(definitionId, first.task!.id, 'completed', 'Release Gate: release (x)')).body,
      ).toMatchObject({ status: { state: 'completed', description: 'Task execution is completed.' } });
      expect((await patchTask(definitionId, second.task!.id, 'aborted', 'Release Gate: deny (y)')).body).toMatchObject({
        status: { state: 'aborted', description: 'Task execution was aborted.' },
      });

      const lenient = lenientHeldJob('library');
      expect(
        lenientSim.tenant.updateTask(lenient.definitionId, lenient.task.id, 'completed', 'Release Gate: release (x)')
          .status.description,
      ).toBe('Release Gate: release (x)');
    });

    it('redirect, update and abort check the trigger that started the task, even deleted or replaced', async () => {
      // Another app with its own definition, and the job permissions.
      const otherId = '33333333-3333-4333-8333-333333333333';
      sim.tenant.apps.set(otherId, {
        clientId: otherId,
        secret: 'other',
        displayName: 'Other print app',
        applicationPermissions: ['PrintTaskDefinition.ReadWrite.All', 'PrintJob.Manage.All', 'Printer.Read.All'],
        delegatedPermissions: [],
      });
      const otherToken = (
        await new ClientSecretCredential(sim.tenantId, otherId, 'other', {
          authorityHost: sim.authorityHost,
          disableInstanceDiscovery: true,
        }).getToken('https://graph.microsoft.com/.default')
      ).token;
      const otherDefinition = (await call('POST', '/print/taskDefinitions', { displayName: 'Other' }, otherToken))
        .body!;

      const { printerId } = await freshTrigger('library');
      const ours = sim.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
      const trigger = (await call('GET', `/print/printers/${printerId}/taskTriggers`, undefined, adminToken)).body!
        .value[0];
      expect(
        (await call('DELETE', `/print/printers/${printerId}/taskTriggers/${trigger.id}`, undefined, adminToken)).status,
      ).toBe(204);
      sim.tenant.createTrigger(printerId, otherDefinition.id, otherId); // the other app's trigger now
      // The other app cannot touch our job; we still can, with the task our (deleted) trigger started.
      const redirect = (token: string) =>
        call(
          'POST',
          `/print/printers/${printerId}/jobs/${ours.job.id}/redirect`,
          { destinationPrinterId: sim.demo!.printers.floor1Color.id },
          token,
        );
      expect((await redirect(otherToken)).status).toBe(400);
      expect(
        (await call('PATCH', `/print/printers/${printerId}/jobs/${ours.job.id}`, { configuration: { copies: 1 } }))
          .status,
      ).toBe(200);
      expect((await redirect(appToken)).status).toBe(200);
      expect(sim.tenant.triggers.get(trigger.id)).toMatchObject({
        createdByAppId: DEMO_APP_CLIENT_ID,
        deletedDateTime: expect.any(String),
      });

      // Lenient: the printer's current trigger decides, so the first build's check lets the other app in.
      const lenient = lenientHeldJob('library');
      const { tenant } = lenientSim;
      tenant.deleteTrigger(lenient.printerId, tenant.printer(lenient.printerId).trigger!.id);
      const stranger = tenant.createDefinition('Stranger', { ...lenientSim.demo!.app, clientId: otherId });
      tenant.createTrigger(lenient.printerId, stranger.id, otherId);
      expect(() => tenant.abortJob(lenient.printerId, lenient.job.id, 'x', otherId)).not.toThrow();
    });

    it('Universal Print "eventually deletes" a blocked job: it disappears, its task stays for the app to end', async () => {
      const { definitionId, printerId } = await freshTrigger('floor1Color');
      const { job, task } = sim.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
      expect(sim.tenant.deleteBlockedJobs()).toEqual([]); // no lifetime configured: never
      expect(sim.tenant.deleteBlockedJobs(0).map((j) => j.id)).toContain(job.id);
      expect((await call('GET', `/print/printers/${printerId}/jobs/${job.id}`)).status).toBe(404);
      expect((await call('GET', `/print/taskDefinitions/${definitionId}/tasks/${task!.id}`)).body).toMatchObject({
        status: { state: 'processing' },
      });
      expect((await patchTask(definitionId, task!.id, 'aborted')).status).toBe(200);
    });

    it('limits (option): a submission over a Universal Print limit gets 429 TooManyRequests, with Retry-After for the 10-minute ones', async () => {
      const limited = await startSimulator({ limits: true });
      try {
        const printerId = limited.demo!.printers.library.id;
        const submit = () =>
          fetch(`${limited.url}/_control/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ printerId, userPrincipalName: 'adele@contoso.example' }),
          });
        for (let i = 0; i < 100; i++) expect((await submit()).status).toBe(201);
        const refused = await submit();
        expect(refused.status).toBe(429);
        expect(await refused.json()).toMatchObject({
          error: { code: 'TooManyRequests', retryAfterSeconds: expect.any(Number) },
        });
      } finally {
        await limited.stop();
      }
      // Off by default: this tenant took many more than 100 jobs on one printer in these tests.
      expect(sim.tenant.limits).toBeUndefined();
    });
  });
});

/**
 * Permissions, printer updates and task triggers as the method pages say, where the first simulator was
 * lenient; each lenient behaviour stays available by name (sandbox/simulator/leniency.ts).
 */
describe('Universal Print simulator: what the method pages say about reads, printer updates and triggers', () => {
  let sim: Simulator;
  let lenient: Simulator;
  const graphApp = readFileSync(path.resolve(__dirname, '../../infra/modules/graph-app.bicep'), 'utf8');
  /** The application permissions the Bicep app registration is always granted (no opt-in). */
  const bicepGrants = [
    ...(/var applicationPermissions = \[([\s\S]*?)\n\]/.exec(graphApp)?.[1] ?? '').matchAll(/name: '([^']+)'/g),
  ].map((m) => m[1]!);

  beforeAll(async () => {
    sim = await startSimulator();
    lenient = await startSimulator({
      lenient: { manageAllReadsJobs: true, embedTriggerDefinition: true, jobsToUnconfiguredPrinters: true },
    });
  });
  afterAll(async () => {
    await sim?.stop();
    await lenient?.stop();
  });

  const options = (s: Simulator) => ({ authorityHost: s.authorityHost, disableInstanceDiscovery: true });
  let apps = 0;
  /** An app registration with exactly these application permissions, and its token. */
  async function appWith(s: Simulator, applicationPermissions: string[]) {
    const clientId = `33333333-3333-4333-8333-${String(++apps).padStart(12, '0')}`;
    s.tenant.apps.set(clientId, {
      clientId,
      secret: 's',
      displayName: 'Test',
      applicationPermissions,
      delegatedPermissions: [],
    });
    const token = (
      await new ClientSecretCredential(s.tenantId, clientId, 's', options(s)).getToken(
        'https://graph.microsoft.com/.default',
      )
    ).token;
    return { clientId, token };
  }
  const adminToken = async (s: Simulator) =>
    (
      await new DeviceCodeCredential({
        tenantId: s.tenantId,
        clientId: DEMO_APP_CLIENT_ID,
        ...options(s),
        userPromptCallback: () => undefined,
      }).getToken('https://graph.microsoft.com/Printer.ReadWrite.All')
    ).token;
  const demoAppToken = async (s: Simulator) =>
    (
      await new ClientSecretCredential(s.tenantId, DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, options(s)).getToken(
        'https://graph.microsoft.com/.default',
      )
    ).token;
  const request = async (
    s: Simulator,
    method: string,
    path: string,
    token: string,
    body?: Buffer | object,
    contentType = 'application/json',
  ) => {
    const response = await fetch(`${s.graphBaseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  /** Registers a virtual printer as set-up does (delegated admin token of the demo app). */
  async function registerVirtualPrinter(s: Simulator, displayName: string) {
    const admin = await adminToken(s);
    const created = await fetch(`${s.graphBaseUrl}/print/printers/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        displayName,
        manufacturer: 'Release Gate',
        model: 'Pull queue',
        hasPhysicalDevice: false,
        physicalDeviceId: null,
        certificateSigningRequest: await printerCertificateRequest(displayName),
      }),
    });
    const operationPath = new URL(created.headers.get('operation-location')!).pathname.replace(/^\/v1\.0/, '');
    await request(s, 'GET', operationPath, admin);
    return (await request(s, 'GET', operationPath, admin)).body!.printer as Record<string, any>;
  }

  it('reads jobs with the app Bicep registers; Manage.All alone may not read (lenient: manageAllReadsJobs)', async () => {
    const printerId = sim.demo!.printers.library.id;
    const { job } = sim.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
    const bicepApp = await appWith(sim, bicepGrants);
    expect((await request(sim, 'GET', `/print/printers/${printerId}/jobs/${job.id}`, bicepApp.token)).status).toBe(200);
    expect((await request(sim, 'GET', `/print/printers/${printerId}/jobs`, bicepApp.token)).status).toBe(200);

    const manageOnly = await appWith(sim, [
      'PrintJob.Manage.All',
      'Printer.Read.All',
      'PrintTaskDefinition.ReadWrite.All',
    ]);
    const refused = await request(sim, 'GET', `/print/printers/${printerId}/jobs/${job.id}`, manageOnly.token);
    expect(refused).toMatchObject({
      status: 403,
      body: { error: { message: expect.stringContaining('PrintJob.ReadBasic.All') } },
    });
    expect(refused.body!.error.message).not.toContain('PrintJob.Manage.All');
    expect((await request(sim, 'GET', `/print/printers/${printerId}/jobs`, manageOnly.token)).status).toBe(403);
    // A job permission alone is not enough either: a printer read permission goes with it.
    const jobOnly = await appWith(sim, ['PrintJob.ReadBasic.All']);
    expect((await request(sim, 'GET', `/print/printers/${printerId}/jobs`, jobOnly.token)).status).toBe(403);

    const lenientJob = lenient.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' }).job;
    const lenientManage = await appWith(lenient, ['PrintJob.Manage.All', 'Printer.Read.All']);
    expect(
      (await request(lenient, 'GET', `/print/printers/${printerId}/jobs/${lenientJob.id}`, lenientManage.token)).status,
    ).toBe(200);
  });

  it('lists and gets task triggers as id and event only, $expand or not (lenient: embedTriggerDefinition)', async () => {
    for (const [s, embedded] of [
      [sim, false],
      [lenient, true],
    ] as const) {
      const app = await demoAppToken(s);
      const admin = await adminToken(s);
      const definition = (await request(s, 'POST', '/print/taskDefinitions', app, { displayName: 'Triggers' })).body!;
      const printerId = s.demo!.printers.floor2Mono.id;
      const created = await request(s, 'POST', `/print/printers/${printerId}/taskTriggers`, admin, {
        event: 'jobStarted',
        'definition@odata.bind': `${s.graphBaseUrl}/print/taskDefinitions/${definition.id}`,
      });
      const id = created.body!.id as string;
      for (const query of ['', '?$expand=definition']) {
        const listed = (await request(s, 'GET', `/print/printers/${printerId}/taskTriggers${query}`, admin)).body!;
        const { '@odata.context': _context, ...got } = (
          await request(s, 'GET', `/print/printers/${printerId}/taskTriggers/${id}${query}`, admin)
        ).body!;
        for (const trigger of [listed.value[0], got])
          expect(trigger).toEqual(
            embedded
              ? { id, event: 'jobStarted', definition: expect.objectContaining({ id: definition.id }) }
              : { id, event: 'jobStarted' },
          );
      }
      expect((await request(s, 'DELETE', `/print/printers/${printerId}/taskTriggers/${id}`, admin)).status).toBe(204);
      expect((await request(s, 'GET', `/print/printers/${printerId}/taskTriggers/${id}`, admin)).status).toBe(404);
    }
  });

  it('a new virtual printer is unknown and takes no jobs until the registering app writes its IPP attributes', async () => {
    const printer = await registerVirtualPrinter(sim, 'Contract Pull');
    expect(printer).toMatchObject({ isAcceptingJobs: null, status: { state: 'unknown' } });
    expect(() => sim.tenant.submitJob({ printerId: printer.id, userPrincipalName: 'adele@contoso.example' })).toThrow(
      /not accepting jobs/,
    );
    const group = encodePrinterAttributesGroup(PULL_QUEUE_ATTRIBUTES);
    const path = `/print/printers/${printer.id}`;

    // Application permission Printer.ReadWrite.All, held by the app that registered it: 204, no body.
    const app = await demoAppToken(sim);
    const other = await appWith(sim, ['Printer.ReadWrite.All']);
    expect((await request(sim, 'PATCH', path, other.token, group, 'application/ipp')).body!.error.message).toMatch(
      /Only the app that registered the printer/,
    );
    const noPermission = await appWith(sim, ['Printer.Read.All']);
    expect((await request(sim, 'PATCH', path, noPermission.token, group, 'application/ipp')).status).toBe(403);
    // A body that is more (or less) than the printer attributes group, or lacks what clients need, is refused.
    const wholeMessage = Buffer.concat([Buffer.from([2, 0, 0, 0x13, 0, 0, 0, 1]), group, Buffer.from([3])]);
    expect((await request(sim, 'PATCH', path, app, wholeMessage, 'application/ipp')).status).toBe(400);
    const { 'media-col-database': _omitted, ...short } = PULL_QUEUE_ATTRIBUTES;
    const lacking = await request(sim, 'PATCH', path, app, encodePrinterAttributesGroup(short), 'application/ipp');
    expect(lacking).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('media-col-database') } },
    });
    expect((await request(sim, 'PATCH', path, app, group, 'application/ipp')).status).toBe(204);

    const after = (await request(sim, 'GET', path, app)).body!;
    expect(after).toMatchObject({
      isAcceptingJobs: true,
      status: { state: 'idle' },
      capabilities: { contentTypes: ['application/pdf', 'application/oxps', 'image/pwg-raster'], dpis: [600] },
      defaults: { contentType: 'application/pdf', duplexMode: 'oneSided', mediaSize: 'A4', colorMode: 'auto' },
    });
    expect(
      sim.tenant.submitJob({ printerId: printer.id, userPrincipalName: 'adele@contoso.example' }).job,
    ).toBeTruthy();

    // Delegated updates are JSON (defaults, location, displayName), by a Printer Administrator.
    const admin = await adminToken(sim);
    expect((await request(sim, 'PATCH', path, admin, group, 'application/ipp')).status).toBe(400);
    const renamed = await request(sim, 'PATCH', path, admin, { displayName: 'Contract Pull 2' });
    expect(renamed).toMatchObject({ status: 200, body: { displayName: 'Contract Pull 2' } });
    // Apps may update only printers without a device.
    const physical = `/print/printers/${sim.demo!.printers.hr.id}`;
    expect((await request(sim, 'PATCH', physical, app, group, 'application/ipp')).status).toBe(403);
  });

  it('lenient jobsToUnconfiguredPrinters: a printer that is not accepting jobs still takes them', async () => {
    const printer = await registerVirtualPrinter(lenient, 'Lenient Pull');
    expect(printer.isAcceptingJobs).toBeNull();
    expect(
      lenient.tenant.submitJob({ printerId: printer.id, userPrincipalName: 'adele@contoso.example' }).job,
    ).toBeTruthy();
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any -- the assertions read arbitrary control API JSON */
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { RequestLog } from '../../sandbox/simulator/request-log';
import { simulatorTokens } from '../support/simulator-clients';
import { waitFor } from '../support/wait';

/**
 * The simulator's request log (what Graph calls it served, and who made them) and removable fault
 * rules: the tools tests use to count real calls ("exactly one redirect") instead of inferring them.
 */
describe('Universal Print simulator: request log and fault rules', () => {
  let sim: Simulator;
  let appToken: string;
  let adminToken: string;

  const graph = async (method: string, path: string, body?: unknown, token: string | null = appToken) => {
    const response = await fetch(`${sim.graphBaseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  };
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sim.url}/_control${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  /** Pauses a job on the library printer with a processing task of a fresh definition. */
  const heldJob = () => {
    const app = sim.tenant.apps.get(DEMO_APP_CLIENT_ID)!;
    const printerId = sim.demo!.printers.library.id;
    const printer = sim.tenant.printer(printerId);
    if (!printer.trigger) {
      const definition = sim.tenant.createDefinition('Request log test', app);
      sim.tenant.createTrigger(printerId, definition.id, app.clientId);
    }
    const { job, task } = sim.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
    return { printerId, job, task: task!, definitionId: printer.trigger!.definitionId };
  };

  beforeAll(async () => {
    sim = await startSimulator();
    ({ appToken, adminToken } = await simulatorTokens(sim));
  });
  afterAll(() => sim.stop());
  beforeEach(() => {
    sim.requests.clear();
    sim.faults.clear();
  });

  it('logs method, path, status, caller kind and app id; never tokens, bodies or query strings', async () => {
    const printerId = sim.demo!.printers.library.id;
    expect(await graph('GET', `/print/printers/${printerId}?$select=displayName`)).toBe(200);
    expect(await graph('GET', `/print/printers/${printerId}/taskTriggers`, undefined, adminToken)).toBe(200);
    expect(await graph('GET', '/print/printers', undefined, null)).toBe(401);
    expect(await graph('GET', '/print/printers', undefined, 'not-a-jwt')).toBe(401);

    const logged = sim.requests.find();
    expect(logged).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: `/print/printers/${printerId}`,
        status: 200,
        tokenKind: 'app',
        appId: DEMO_APP_CLIENT_ID,
      }),
      expect.objectContaining({ path: `/print/printers/${printerId}/taskTriggers`, status: 200, tokenKind: 'user' }),
      expect.objectContaining({ path: '/print/printers', status: 401, tokenKind: 'none' }),
      expect.objectContaining({ path: '/print/printers', status: 401, tokenKind: 'none' }),
    ]);
    expect(logged[2]).not.toHaveProperty('appId');
    for (const entry of logged) {
      expect(Object.keys(entry).sort()).toEqual(
        ['seq', 'time', 'method', 'path', 'status', 'tokenKind', 'faultIds', 'durationMs']
          .concat(entry.appId ? ['appId'] : [])
          .sort(),
      );
      expect(Date.parse(entry.time)).not.toBeNaN();
    }
    expect(logged.map((e) => e.seq)).toEqual([...logged.map((e) => e.seq)].sort((a, b) => a - b));
    expect(JSON.stringify(logged)).not.toContain(appToken.split('.')[1]!);
  });

  it('filters by job, task, printer, method and path regex, in process and over the control API', async () => {
    const first = heldJob();
    const second = heldJob();
    const jobPath = (j: { printerId: string; job: { id: string } }) =>
      `/print/printers/${j.printerId}/jobs/${j.job.id}`;
    await graph('GET', jobPath(first));
    await graph('PATCH', jobPath(first), { configuration: { copies: 1 } });
    await graph('GET', jobPath(second));
    await graph('PATCH', `/print/taskDefinitions/${first.definitionId}/tasks/${first.task.id}`, {
      status: { state: 'completed' },
    });

    expect(sim.requests.count({ jobId: first.job.id })).toBe(2);
    expect(sim.requests.count({ jobId: first.job.id, method: 'patch' })).toBe(1);
    expect(sim.requests.count({ jobId: second.job.id })).toBe(1);
    expect(sim.requests.find({ taskId: first.task.id })).toEqual([
      expect.objectContaining({ method: 'PATCH', status: 200, tokenKind: 'app' }),
    ]);
    expect(sim.requests.count({ printerId: first.printerId })).toBe(3);
    expect(sim.requests.count({ path: '^/print/taskDefinitions/' })).toBe(1);
    expect(sim.requests.count({ path: /\/jobs\/\d+$/, status: 200 })).toBe(3);

    const overHttp = await control('GET', `/requests?jobId=${first.job.id}&method=PATCH`);
    expect(overHttp).toMatchObject({
      status: 200,
      body: { value: [{ method: 'PATCH', path: jobPath(first), status: 200, tokenKind: 'app' }], evicted: 0 },
    });
    expect((await control('GET', `/requests?taskId=${first.task.id}`)).body.value).toHaveLength(1);
    expect(
      (await control('GET', `/requests?path=${encodeURIComponent('^/print/printers/[^/]+/jobs/')}`)).body.value,
    ).toHaveLength(3);
    expect((await control('GET', '/requests?jobID=1')).status).toBe(400); // a typo must not match everything
    expect((await control('GET', '/requests?path=(')).status).toBe(400);

    expect(await control('DELETE', '/requests')).toMatchObject({ status: 200, body: { cleared: true } });
    expect(sim.requests.count()).toBe(0);
    await graph('GET', jobPath(second));
    await control('POST', '/reset');
    expect(sim.requests.count()).toBe(0); // a reset starts a clean log too
  });

  it('records injected faults: the status sent, the rule ids, and 0 for a dropped connection', async () => {
    const unavailable = sim.faults.add({ method: 'GET', path: '^/print/printers$', status: 503, times: 1 });
    const dropped = sim.faults.add({ method: 'GET', path: '^/print/shares$', drop: true, times: 1 });
    expect(await graph('GET', '/print/printers')).toBe(503);
    expect(await graph('GET', '/print/printers')).toBe(200);
    await expect(graph('GET', '/print/shares', undefined, adminToken)).rejects.toThrow();

    await waitFor('the dropped request to be logged', () => sim.requests.count({ path: '^/print/shares$' }) === 1);
    expect(sim.requests.find({ path: '^/print/printers$' })).toEqual([
      expect.objectContaining({ status: 503, tokenKind: 'app', faultIds: [unavailable.id] }),
      expect.objectContaining({ status: 200, faultIds: [] }),
    ]);
    expect(sim.requests.find({ path: '^/print/shares$' })).toEqual([
      expect.objectContaining({ status: 0, tokenKind: 'user', faultIds: [dropped.id] }),
    ]);
  });

  it('keeps the newest entries within its size and says how many it dropped', async () => {
    const small = await startSimulator({ requestLogSize: 3 });
    try {
      for (let i = 0; i < 5; i++)
        await fetch(`${small.graphBaseUrl}/print/printers?n=${i}`).then((r) => r.arrayBuffer());
      expect(small.requests.find().map((e) => e.seq)).toEqual([3, 4, 5]);
      expect(small.requests.evicted).toBe(2);
      small.requests.clear();
      expect(small.requests.evicted).toBe(0);
    } finally {
      await small.stop();
    }
    expect(() => new RequestLog(0)).toThrow();
  });

  it('removes one fault rule by id (DELETE /_control/faults/{id}); DELETE /_control/faults clears all', async () => {
    const throttle = (await control('POST', '/faults', { path: '^/print/printers$', status: 429, retryAfter: 1 })).body;
    const unavailable = sim.faults.add({ path: '^/print/shares$', status: 503 });
    expect((await control('GET', '/faults')).body.value.map((r: any) => r.id)).toEqual([throttle.id, unavailable.id]);
    expect(await graph('GET', '/print/printers')).toBe(429);

    expect(await control('DELETE', `/faults/${throttle.id}`)).toMatchObject({ status: 200, body: { removed: true } });
    expect(await graph('GET', '/print/printers')).toBe(200); // that rule alone is gone
    expect(await graph('GET', '/print/shares', undefined, adminToken)).toBe(503); // the other still applies
    expect((await control('DELETE', `/faults/${throttle.id}`)).status).toBe(404);
    expect((await control('GET', `/faults/${unavailable.id}`)).body).toMatchObject({ status: 503, hits: 1 });

    expect(sim.faults.remove(unavailable.id)).toBe(true);
    expect(sim.faults.remove(unavailable.id)).toBe(false);
    expect(await graph('GET', '/print/shares', undefined, adminToken)).toBe(200);

    sim.faults.add({ path: '.*', latencyMs: 1 });
    sim.faults.add({ path: '.*', latencyMs: 1 });
    expect(await control('DELETE', '/faults')).toMatchObject({ status: 200, body: { cleared: true } });
    expect(sim.faults.list()).toEqual([]);
  });
});

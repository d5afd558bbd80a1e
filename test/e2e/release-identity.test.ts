/* eslint-disable @typescript-eslint/no-explicit-any -- the assertions read JSON bodies */
import { randomUUID } from 'node:crypto';
import type { Sandbox } from '../../sandbox/sandbox';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { DEMO_PRINTER_IDS } from '../../sandbox/demo/demo-printers';
import { parseSettings } from '../../src/config/load-settings';
import { tableHoldStore } from '../../src/holds/hold-store';
import { createTableClient } from '../../src/storage/storage-clients';
import { holdJob, startPullPrintingSandbox } from '../support/pull-printing';
import { waitFor } from '../support/wait';

/**
 * Who a release page user is: the object id in an access token our own page obtained for Release.Use.
 * Guests (`#EXT#` UPNs) hold and release like anyone; ID tokens, other clients' tokens and tokens
 * without the scope are refused; a renamed user keeps their jobs and the next owner of the old UPN
 * does not get them.
 */
describe('release API: identity', () => {
  let sandbox: Sandbox;
  let pull: Awaited<ReturnType<typeof startPullPrintingSandbox>>;
  const GUEST = 'gus_fabrikam.example#EXT#@contoso.example';
  const api = (action = '') => `${sandbox.host.url}/api/release/jobs${action ? `/${action}` : ''}`;
  const call = async (token: string, action: '' | 'release' | 'delete', body?: unknown) => {
    const response = await fetch(api(action), {
      method: action ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      authenticate: response.headers.get('www-authenticate'),
      body: (await response.json().catch(() => undefined)) as Record<string, any>,
    };
  };
  const tokenFor = (upn: string, options: Parameters<Sandbox['simulator']['identity']['userToken']>[2] = {}) =>
    sandbox.simulator.identity.userToken(upn, DEMO_APP_CLIENT_ID, options);
  const taskIds = (body: Record<string, any>) => body.jobs.map((j: { taskId: string }) => j.taskId);
  const printersFor = async (upn: string) => {
    const response = await fetch(`${sandbox.host.url}/api/release/printers`, {
      headers: { authorization: `Bearer ${await tokenFor(upn)}` },
    });
    const body = (await response.json()) as Record<string, any>;
    return { status: response.status, body, names: body.printers?.map((p: { displayName: string }) => p.displayName) };
  };

  beforeAll(async () => {
    // No declared release printers: users may release where Universal Print lets them print.
    pull = await startPullPrintingSandbox({ RELEASE_GATE_RELEASE_PRINTERS: undefined });
    ({ sandbox } = pull);
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it('a guest (#EXT# UPN) is held, sees the job on the release page and releases it: it prints once', async () => {
    const { job, task } = await holdJob(pull, GUEST, 'Guest slides.pdf');
    expect(task.status.state).toBe('processing'); // held, not failed-safe
    expect(job.status.state).toBe('paused');
    const config = parseSettings(sandbox.settings);
    const holds = tableHoldStore(createTableClient(config, config.RELEASE_GATE_HOLD_TABLE));
    const guestId = sandbox.simulator.demo!.users.guest.id;
    expect(await holds.get({ id: guestId }, task.id)).toMatchObject({ ownerId: guestId, ownerUpn: GUEST });

    const token = await tokenFor(GUEST);
    const listed = await call(token, '');
    expect(listed.status).toBe(200);
    expect(taskIds(listed.body)).toEqual([task.id]);
    const released = await call(token, 'release', { taskIds: [task.id], printerId: DEMO_PRINTER_IDS.library });
    expect(released.body.results).toEqual([expect.objectContaining({ taskId: task.id, status: 'released' })]);
    const moved = [...sandbox.simulator.tenant.jobs.get(DEMO_PRINTER_IDS.library)!.values()].filter((j) =>
      j.redirectedFrom?.endsWith(`/jobs/${job.id}`),
    );
    expect(moved).toHaveLength(1);
    await waitFor('the released job to print', () => moved[0]!.status.state === 'completed');
    expect(taskIds((await call(token, '')).body)).toEqual([]);
  });

  it('a guest’s held job Universal Print deleted is reported as expired, not as still held', async () => {
    const { job, task } = await holdJob(pull, GUEST, 'Guest lost.pdf');
    sandbox.simulator.tenant.deleteJob(job.printerId, job.id);
    const listed = await call(await tokenFor(GUEST), '');
    expect(taskIds(listed.body)).not.toContain(task.id);
    expect(listed.body.expired).toEqual([expect.objectContaining({ taskId: task.id })]);
  });

  describe('refuses tokens that are not our page’s access token for Release.Use', () => {
    it('an ID token (audience our client id, no scp): 401', async () => {
      const result = await call(await tokenFor('adele@contoso.example', { kind: 'id' }), '');
      expect(result).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
      expect(result.body.error.message).toMatch(/no scp/);
      expect(result.authenticate).toContain('invalid_token');
    });

    it('an access token for our API obtained by another client: 401', async () => {
      const other = '22222222-3333-4444-8555-666666666666';
      const result = await call(await tokenFor('adele@contoso.example', { clientId: other }), '');
      expect(result).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
      expect(result.body.error.message).toMatch(/another client/);
    });

    it('an access token without scp: 401; with scopes but not Release.Use: 403', async () => {
      const noScope = await call(await tokenFor('adele@contoso.example', { scope: null }), '');
      expect(noScope).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
      sandbox.simulator.tenant.apps.get(DEMO_APP_CLIENT_ID)!.exposedScopes!.push('Reports.Read');
      const otherScope = await call(await tokenFor('adele@contoso.example', { scope: 'Reports.Read' }), '');
      expect(otherScope).toMatchObject({ status: 403, body: { error: { code: 'insufficient_scope' } } });
      expect(otherScope.authenticate).toContain('insufficient_scope');
    });
  });

  it('ownership is the object id: a renamed user keeps their job; the next owner of the old UPN gets nothing', async () => {
    const { tenant } = sandbox.simulator;
    const megan = sandbox.simulator.demo!.users.megan;
    const { task } = await holdJob(pull, 'megan@contoso.example', 'Before the rename.pdf');
    megan.userPrincipalName = 'megan.bowen@contoso.example';
    const newcomer = {
      id: randomUUID(),
      userPrincipalName: 'megan@contoso.example',
      displayName: 'Megan Newcomer',
      groups: [],
      attributes: {},
      roles: [],
    };
    tenant.users.set(newcomer.id, newcomer);
    try {
      const stranger = await tokenFor('megan@contoso.example'); // the newcomer: same UPN, other object id
      expect(taskIds((await call(stranger, '')).body)).not.toContain(task.id);
      const taken = await call(stranger, 'release', { taskIds: [task.id], printerId: DEMO_PRINTER_IDS.library });
      expect(taken.body.results).toEqual([{ taskId: task.id, status: 'not-found' }]);
      expect(task.status.state).toBe('processing');

      const renamed = await tokenFor('megan.bowen@contoso.example');
      expect(taskIds((await call(renamed, '')).body)).toContain(task.id);
      const deleted = await call(renamed, 'delete', { taskIds: [task.id] });
      expect(deleted.body.results).toEqual([{ taskId: task.id, status: 'deleted' }]);
    } finally {
      tenant.users.delete(newcomer.id);
      megan.userPrincipalName = 'megan@contoso.example';
    }
  });

  describe('where a job may come out: only printers the user could print to directly (their share access)', () => {
    afterEach(() => sandbox.simulator.faults.clear());

    it('lists only the printers whose Universal Print share the user may use', async () => {
      // Library: shared with everyone; HQ: staff (a group); HR: the admin alone; the pull queue prints nothing.
      expect((await printersFor('sam.student@contoso.example')).names).toEqual(['School Library']);
      expect((await printersFor('adele@contoso.example')).names).toEqual([
        'HQ Floor 1 Color',
        'HQ Floor 2 Mono',
        'School Library',
      ]);
      expect((await printersFor('admin@contoso.example')).names).toEqual([
        'HQ Floor 1 Color',
        'HQ Floor 2 Mono',
        'HR Confidential',
        'School Library',
      ]);
    });

    it('refuses a release to a printer the user may not print to (403); the job stays held', async () => {
      const { task } = await holdJob(pull, 'adele@contoso.example', 'Not for HR.pdf');
      const token = await tokenFor('adele@contoso.example');
      const refused = await call(token, 'release', { taskIds: [task.id], printerId: DEMO_PRINTER_IDS.hr });
      expect(refused).toMatchObject({ status: 403, body: { error: { code: 'printer_not_allowed' } } });
      expect(task.status.state).toBe('processing');
      expect(sandbox.simulator.requests.count({ jobId: task.jobId, method: 'POST' })).toBe(0);
      expect(taskIds((await call(token, '')).body)).toContain(task.id);
      const allowed = await call(token, 'release', { taskIds: [task.id], printerId: DEMO_PRINTER_IDS.floor2Mono });
      expect(allowed.body.results).toEqual([expect.objectContaining({ taskId: task.id, status: 'released' })]);
    });

    it('a share look-up Graph cannot answer now is a 503, never an allow; answers are kept briefly', async () => {
      const { task } = await holdJob(pull, 'lee.student@contoso.example', 'Lee homework.pdf');
      const token = await tokenFor('lee.student@contoso.example');
      sandbox.simulator.faults.add({ method: 'GET', path: '/shares', status: 503, retryAfter: 1, times: 50 });
      const busy = await call(token, 'release', { taskIds: [task.id], printerId: DEMO_PRINTER_IDS.library });
      expect(busy).toMatchObject({ status: 503, body: { error: { code: 'busy' } } });
      expect((await printersFor('lee.student@contoso.example')).status).toBe(503);
      expect(task.status.state).toBe('processing');
      sandbox.simulator.faults.clear();
      expect((await printersFor('lee.student@contoso.example')).names).toEqual(['School Library']);
      // Kept: the same user's next look at the list asks Graph nothing about shares.
      const before = sandbox.simulator.requests.count({ method: 'GET', path: '/shares' });
      expect((await printersFor('lee.student@contoso.example')).names).toEqual(['School Library']);
      expect(sandbox.simulator.requests.count({ method: 'GET', path: '/shares' })).toBe(before);
      const released = await call(token, 'release', { taskIds: [task.id], printerId: DEMO_PRINTER_IDS.library });
      expect(released.body.results[0]).toMatchObject({ status: 'released' });
    });
  });

  it('holds stored before the upgrade (keyed by the raw UPN) are still found, for their owner only', async () => {
    const config = parseSettings(sandbox.settings);
    const table = createTableClient(config, config.RELEASE_GATE_HOLD_TABLE);
    const holds = tableHoldStore(table);
    const { task } = await holdJob(pull, 'adele@contoso.example', 'Old key.pdf');
    const adele = sandbox.simulator.demo!.users.adele;
    const held = (await holds.claim({ id: adele.id }, task.id))!;
    // As the previous version stored it: partition = the lower-case UPN.
    await table.createEntity({
      partitionKey: 'adele@contoso.example',
      rowKey: held.taskId,
      expiresAt: held.expiresAt,
      job: JSON.stringify(held),
    });
    expect(taskIds((await call(await tokenFor('adele@contoso.example'), '')).body)).toContain(task.id);
    expect(taskIds((await call(await tokenFor('megan@contoso.example'), '')).body)).not.toContain(task.id);
    const released = await call(await tokenFor('adele@contoso.example'), 'release', {
      taskIds: [task.id],
      printerId: DEMO_PRINTER_IDS.library,
    });
    expect(released.body.results[0]).toMatchObject({ status: 'released' });
  });
});

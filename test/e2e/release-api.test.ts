/* eslint-disable @typescript-eslint/no-explicit-any -- the assertions read JSON bodies */
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import type { Sandbox } from '../../sandbox/sandbox';
import type { SimJob } from '../../sandbox/simulator/model';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { DEMO_PRINTER_IDS } from '../../sandbox/demo/demo-printers';
import { parseSettings } from '../../src/config/load-settings';
import { tableAuditLog } from '../../src/audit/audit-log';
import { tableHoldStore } from '../../src/holds/hold-store';
import { VANISHED_REASON } from '../../src/release/release-held-jobs';
import { createTableClient } from '../../src/storage/storage-clients';
import { holdJob, startPullPrintingSandbox } from '../support/pull-printing';
import { waitFor } from '../support/wait';

/**
 * Pull printing's release API against the sandbox: jobs held on the pull queue (demo policy) are
 * listed to their owner only and released at a printer of the owner's choice, once.
 */
describe('releasing held jobs (pull printing)', () => {
  let sandbox: Sandbox;
  const api = (action = '') => `${sandbox.host.url}/api/release/jobs${action ? `/${action}` : ''}`;
  const tokenFor = (upn: string, options: { audience?: string; expiresInSeconds?: number; scope?: null } = {}) =>
    sandbox.simulator.identity.userToken(upn, options.audience ?? DEMO_APP_CLIENT_ID, options);
  const call = async (
    token: string | undefined,
    action: '' | 'release' | 'delete',
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(api(action), {
      method: action ? 'POST' : 'GET',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        'content-type': 'application/json',
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as Record<string, any> };
  };

  let pull: Awaited<ReturnType<typeof startPullPrintingSandbox>>;
  const hold = (upn: string, name: string) => holdJob(pull, upn, name);

  beforeAll(async () => {
    pull = await startPullPrintingSandbox();
    ({ sandbox } = pull);
  }, 60000);
  afterAll(async () => sandbox?.stop());
  afterEach(() => sandbox.simulator.faults.clear());

  it('lists only the signed-in user’s own held jobs', async () => {
    await hold('adele@contoso.example', 'Adele 1.pdf');
    await hold('megan@contoso.example', 'Megan 1.pdf');
    const adele = await call(await tokenFor('adele@contoso.example'), '');
    expect(adele.status).toBe(200);
    expect(adele.body.user).toBe('adele@contoso.example');
    expect(adele.body.jobs.map((j: { documentName: string }) => j.documentName)).toEqual(['Adele 1.pdf']);
  });

  it('releases a held job to the printer the user chose: it prints there, once', async () => {
    const { job, task } = await hold('adele@contoso.example', 'Boarding pass.pdf');
    const target = sandbox.simulator.demo!.printers.library.id; // triggers on every printer: the new job is decided too
    const token = await tokenFor('adele@contoso.example');
    const [first, second] = await Promise.all([
      call(token, 'release', { taskIds: [task.id], printerId: target, changes: { grayscale: true } }),
      call(token, 'release', { taskIds: [task.id], printerId: target, changes: { grayscale: true } }), // the same click, twice
    ]);
    const statuses = [first.body.results[0].status, second.body.results[0].status].sort();
    expect(statuses).toEqual(['not-found', 'released']); // double click: released once
    expect(task.status.state).toBe('completed');
    const moved = [...sandbox.simulator.tenant.jobs.get(target)!.values()].filter((j) =>
      j.redirectedFrom?.endsWith(`/jobs/${job.id}`),
    );
    expect(moved).toHaveLength(1);
    // Counted at Graph: the second click never reached it (one redirect, no refused second try).
    expect(sandbox.simulator.requests.count({ jobId: job.id, method: 'POST', path: '/redirect$' })).toBe(1);
    expect(moved[0]!.configuration.colorMode).toBe('grayscale');
    await waitFor('the released job to print', () => moved[0]!.status.state === 'completed');
    expect((await call(token, '')).body.jobs.find((j: { taskId: string }) => j.taskId === task.id)).toBeUndefined();
  });

  it('lets the user print fewer copies than they sent, never more', async () => {
    const { tenant, demo } = sandbox.simulator;
    const submit = (name: string) => holdJob(pull, 'adele@contoso.example', name, { configuration: { copies: 3 } });
    const fewer = await submit('Fewer.pdf');
    const more = await submit('More.pdf');
    const token = await tokenFor('adele@contoso.example');
    const target = demo!.printers.library.id;
    await call(token, 'release', { taskIds: [fewer.task.id], printerId: target, changes: { copies: 1 } });
    await call(token, 'release', { taskIds: [more.task.id], printerId: target, changes: { copies: 50 } });
    const movedFrom = (job: SimJob) =>
      [...tenant.jobs.get(target)!.values()].find((j) => j.redirectedFrom?.endsWith(`/jobs/${job.id}`))!;
    expect(movedFrom(fewer.job).configuration.copies).toBe(1);
    expect(movedFrom(more.job).configuration.copies).toBe(3);
  });

  it('refuses another user’s job and changes nothing', async () => {
    const { task } = await hold('megan@contoso.example', 'Megan private.pdf');
    const result = await call(await tokenFor('adele@contoso.example'), 'release', {
      taskIds: [task.id],
      printerId: sandbox.simulator.demo!.printers.library.id,
    });
    expect(result.body.results).toEqual([{ taskId: task.id, status: 'not-found' }]);
    expect(task.status.state).toBe('processing');
    expect(
      (await call(await tokenFor('adele@contoso.example'), 'delete', { taskIds: [task.id] })).body.results[0].status,
    ).toBe('not-found');
    expect(task.status.state).toBe('processing');
  });

  it('keeps the job held, and says why, when the printer cannot take it', async () => {
    const { task } = await hold('adele@contoso.example', 'Retry me.pdf');
    sandbox.simulator.faults.add({ method: 'POST', path: '/redirect$', status: 503, retryAfter: 30, times: 10 });
    const token = await tokenFor('adele@contoso.example');
    const failed = await call(token, 'release', {
      taskIds: [task.id],
      printerId: sandbox.simulator.demo!.printers.library.id,
    });
    expect(failed.body.results[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('still held') });
    expect(task.status.state).toBe('processing');
    expect((await call(token, '')).body.jobs.map((j: { taskId: string }) => j.taskId)).toContain(task.id);
    sandbox.simulator.faults.clear();
    expect(
      (await call(token, 'release', { taskIds: [task.id], printerId: sandbox.simulator.demo!.printers.library.id }))
        .body.results[0].status,
    ).toBe('released');
  });

  it('a release racing the expiry: each job ends exactly once, one way or the other', async () => {
    const config = parseSettings(sandbox.settings);
    const holds = tableHoldStore(createTableClient(config, config.RELEASE_GATE_HOLD_TABLE));
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await hold('adele@contoso.example', `Race ${i}.pdf`));
    // Every hold is already past its expiry when the user presses Print.
    for (const { task } of jobs) {
      const held = (await holds.claim('adele@contoso.example', task.id))!;
      await holds.add({ ...held, expiresAt: new Date(Date.now() - 1000).toISOString() });
    }
    const target = sandbox.simulator.demo!.printers.library.id;
    const [released] = await Promise.all([
      call(await tokenFor('adele@contoso.example'), 'release', {
        taskIds: jobs.map((j) => j.task.id),
        printerId: target,
      }),
      sandbox.host.runTimer('expire-holds'),
    ]);
    await sandbox.host.queuesIdle();
    const results = released.body.results as { taskId: string; status: string }[];
    const { requests } = sandbox.simulator;
    for (const { job, task } of jobs) {
      const status = results.find((r) => r.taskId === task.id)!.status;
      // Counted at Graph: one action reached each job (a redirect or an abort), and the task ended once.
      const actions = requests.find({ jobId: job.id, method: 'POST', path: '/(redirect|abort)$' });
      expect(actions.map((r) => r.path.split('/').pop())).toEqual([status === 'released' ? 'redirect' : 'abort']);
      expect(requests.count({ taskId: task.id, method: 'PATCH' })).toBe(status === 'released' ? 0 : 1);
      const moved = [...sandbox.simulator.tenant.jobs.get(target)!.values()].filter((j) =>
        j.redirectedFrom?.endsWith(`/jobs/${job.id}`),
      );
      if (status === 'released') {
        expect({ moved: moved.length, task: task.status.state, job: job.status.state }).toEqual({
          moved: 1,
          task: 'completed',
          job: 'completed',
        });
      } else {
        expect(status).toBe('not-found'); // the expiry got there first
        expect({ moved: moved.length, task: task.status.state, job: job.status.state }).toEqual({
          moved: 0,
          task: 'aborted',
          job: 'aborted',
        });
      }
    }
  });

  it('releases only to declared release printers; the job stays held otherwise', async () => {
    const { task } = await hold('adele@contoso.example', 'Not at HR.pdf');
    const result = await call(await tokenFor('adele@contoso.example'), 'release', {
      taskIds: [task.id],
      printerId: DEMO_PRINTER_IDS.hr,
    });
    expect(result.body.results).toEqual([
      { taskId: task.id, status: 'failed', reason: 'That printer is not a release printer.' },
    ]);
    expect(task.status.state).toBe('processing');
    expect(
      (await call(await tokenFor('adele@contoso.example'), '')).body.jobs.map((j: { taskId: string }) => j.taskId),
    ).toContain(task.id);
  });

  it('deletes a held job: aborted with a reason, task closed', async () => {
    const { job, task } = await hold('adele@contoso.example', 'Oops.pdf');
    const result = await call(await tokenFor('adele@contoso.example'), 'delete', { taskIds: [task.id] });
    expect(result.body.results).toEqual([{ taskId: task.id, status: 'deleted' }]);
    expect(job.status).toMatchObject({
      state: 'aborted',
      description: expect.stringContaining('Deleted by its owner'),
    });
    expect(task.status.state).toBe('aborted');
  });

  it('a held job Universal Print deleted: listed as expired (not still held), its hold ended and audited; a release says so too', async () => {
    const { tenant } = sandbox.simulator;
    const token = await tokenFor('adele@contoso.example');
    const kept = await hold('adele@contoso.example', 'Kept.pdf');
    const lost = await hold('adele@contoso.example', 'Lost.pdf');
    tenant.deleteJob(lost.job.printerId, lost.job.id); // Universal Print "eventually deletes" blocked jobs
    const listed = await call(token, '');
    expect(listed.body.jobs.map((j: { taskId: string }) => j.taskId)).toContain(kept.task.id);
    expect(listed.body.jobs.map((j: { taskId: string }) => j.taskId)).not.toContain(lost.task.id);
    expect(listed.body.expired).toEqual([
      expect.objectContaining({ taskId: lost.task.id, documentName: 'Lost.pdf', reason: VANISHED_REASON }),
    ]);
    expect(lost.task.status.state).toBe('aborted'); // our task closed all the same
    const config = parseSettings(sandbox.settings);
    const audit = tableAuditLog(createTableClient(config, config.RELEASE_GATE_AUDIT_TABLE));
    const record = await audit.find(new Date().toISOString(), lost.task.id); // partitioned by day
    expect(record).toMatchObject({ outcome: 'hold-vanished' });
    expect((await call(token, '')).body.expired).toEqual([]); // said once

    const gone = await hold('adele@contoso.example', 'Gone too.pdf');
    tenant.deleteJob(gone.job.printerId, gone.job.id);
    const released = await call(token, 'release', { taskIds: [gone.task.id], printerId: DEMO_PRINTER_IDS.library });
    expect(released.body.results).toEqual([{ taskId: gone.task.id, status: 'expired', reason: VANISHED_REASON }]);
    expect((await call(token, '')).body.jobs.map((j: { taskId: string }) => j.taskId)).not.toContain(gone.task.id);
  });

  describe('refuses requests that are not from the signed-in user', () => {
    it('no token, an expired token, a token for another app', async () => {
      expect((await call(undefined, '')).status).toBe(401);
      expect((await call(await tokenFor('adele@contoso.example', { expiresInSeconds: -300 }), '')).status).toBe(401);
      expect(
        (await call(await tokenFor('adele@contoso.example', { audience: 'api://some-other-app', scope: null }), ''))
          .status,
      ).toBe(401);
    });

    it('a token from another tenant, alg none, a tampered signature, a token signed by someone else', async () => {
      const good = await tokenFor('adele@contoso.example');
      const claims = decodeJwt(good);
      const [header, , signature] = good.split('.');
      const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const otherTenant = await sandbox.simulator.identity.userToken('adele@contoso.example', DEMO_APP_CLIENT_ID, {
        tenantId: '99999999-9999-4999-8999-999999999999',
      });
      const algNone = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
      const tampered = `${header}.${encode({ ...claims, preferred_username: 'megan@contoso.example' })}.${signature}`;
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: JSON.parse(Buffer.from(header!, 'base64url').toString()).kid })
        .sign(privateKey);
      for (const token of [otherTenant, algNone, tampered, forged]) expect((await call(token, '')).status).toBe(401);
    });

    it('a cross-site request', async () => {
      const response = await call(await tokenFor('adele@contoso.example'), '', undefined, {
        origin: 'https://evil.example',
      });
      expect(response).toMatchObject({ status: 403, body: { error: { code: 'cross_site' } } });
      // A sandboxed frame or a file sends Origin: null: another site, not a server error.
      const opaque = await call(await tokenFor('adele@contoso.example'), '', undefined, { origin: 'null' });
      expect(opaque).toMatchObject({ status: 403, body: { error: { code: 'cross_site' } } });
    });

    it('a malformed body gets 400 with the field', async () => {
      const result = await call(await tokenFor('adele@contoso.example'), 'release', {
        taskIds: ['../x'],
        printerId: 'nope',
      });
      expect(result.status).toBe(400);
      expect(result.body.error.message).toMatch(/taskIds\.0: .*printerId: a printer id/);
    });
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any -- the assertions read JSON bodies */
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import type { Sandbox } from '../../sandbox/sandbox';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { parseSettings } from '../../src/config/load-settings';
import { tableHoldStore } from '../../src/holds/hold-store';
import { createTableClient } from '../../src/storage/storage-clients';
import type { TableClient } from '@azure/data-tables';
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
    action: '' | 'release' | 'delete' | 'keep',
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

  it('keeps a held job longer through the API, and the hold table guards every change with its etag', async () => {
    const config = parseSettings(sandbox.settings);
    const holds = tableHoldStore(createTableClient(config, config.RELEASE_GATE_HOLD_TABLE));
    const [{ task }, { task: other }] = [
      await hold('adele@contoso.example', 'Keep me.pdf'),
      await hold('adele@contoso.example', 'Claimed meanwhile.pdf'),
    ];
    const before = (await holds.get('adele@contoso.example', task.id))!;
    expect(before.keepUntilMax).toBeDefined(); // a pull-queue hold may be kept up to 3 days
    const token = await tokenFor('adele@contoso.example');
    const kept = await call(token, 'keep', { taskIds: [task.id] });
    expect(kept.status).toBe(200);
    const later = Date.parse(before.expiresAt) + (Date.parse(before.expiresAt) - Date.parse(before.heldAt));
    expect(kept.body.results).toEqual([{ taskId: task.id, status: 'kept', expiresAt: new Date(later).toISOString() }]);
    expect((await call(token, '')).body.jobs.find((j: any) => j.taskId === task.id)).toMatchObject({
      expiresAt: new Date(later).toISOString(),
      keepUntilMax: before.keepUntilMax,
    });

    // The hold store on the real table, with another writer getting in just before its first write.
    const table = createTableClient(config, config.RELEASE_GATE_HOLD_TABLE);
    const racing = (meanwhile: () => Promise<unknown>) => {
      let pending: (() => Promise<unknown>) | undefined = meanwhile;
      const raced = new Proxy(table, {
        get(target, prop) {
          if (prop === 'updateEntity')
            return async (...args: Parameters<TableClient['updateEntity']>) => {
              const run = pending;
              pending = undefined;
              if (run) await run();
              return target.updateEntity(...args);
            };
          const value: unknown = Reflect.get(target, prop);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      return tableHoldStore(raced);
    };
    const owner = { id: before.ownerId, userPrincipalName: before.ownerUpn };
    const warnedAt = '2026-12-03T10:00:00.000Z';
    // Changed meanwhile: the stale etag is refused (412), the change is made again on what is stored; both stand.
    let tries = 0;
    const both = await racing(() => holds.update(owner, task.id, (h) => ({ ...h, ownerName: 'Adele Vance' }))).update(
      owner,
      task.id,
      (h) => (tries++, { ...h, warnedAt }),
    );
    expect({ tries, both }).toEqual({
      tries: 2,
      both: expect.objectContaining({ warnedAt, ownerName: 'Adele Vance' }),
    });
    expect(await holds.get(owner, task.id)).toMatchObject({ warnedAt, ownerName: 'Adele Vance' });
    // Claimed (ended) meanwhile: the update finds nothing and brings nothing back.
    const claimed = await racing(() => holds.claim(owner, other.id)).update(owner, other.id, (h) => ({
      ...h,
      warnedAt,
    }));
    expect(claimed).toBeUndefined();
    expect(await holds.get(owner, other.id)).toBeUndefined();
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
  });
});

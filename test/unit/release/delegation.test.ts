import { HttpRequest } from '@azure/functions';
import { memoryUserActionLog } from '../../../src/audit/user-action-log';
import type { Person } from '../../../src/graph/print-api';
import { handleDelegatesApi, type DelegatesAction } from '../../../src/release/delegates-api';
import { memoryDelegationStore } from '../../../src/release/delegation-store';
import { searchLimit } from '../../../src/release/search-limit';
import { handleReleaseApi, type ReleaseApiDependencies } from '../../../src/release/release-api';
import { UnauthorizedError, type SignedInUser } from '../../../src/release/user-token';
import {
  heldAuditRecord,
  heldJobFor,
  recordingLog,
  PRINTERS,
  releaseWorld,
  USERS,
  type TestUser,
} from '../../support/release-fakes';

/**
 * Delegates and hand-over (issue 18), authorised like the rest of the release API: through the two
 * API handlers, with the memory delegation store and the fake hold store.
 */
const SITE = 'https://release-gate.example';
const { queue: QUEUE, library: LIBRARY } = PRINTERS;
const ADELE = USERS.adele; // an owner
const MEGAN = USERS.megan; // Adele's delegate
const LEE = USERS.lee; // another owner, or a colleague
const BOB: TestUser = { id: '55555555-5555-4555-8555-555555555555', upn: 'bob@contoso.example' };
const EVERYONE = [ADELE, MEGAN, LEE, BOB];
const nameOf = (u: TestUser) => u.upn.split('@')[0]!;
const TOKENS: Record<string, SignedInUser> = Object.fromEntries(
  EVERYONE.map((u) => [`${nameOf(u)}-token`, { objectId: u.id, userPrincipalName: u.upn, name: nameOf(u) }]),
);
const DIRECTORY: Person[] = EVERYONE.map((u) => ({ id: u.id, userPrincipalName: u.upn, displayName: nameOf(u) }));

function setUp(options: { delegation?: boolean } = {}) {
  const on = options.delegation ?? true;
  const { graph, holds, audit, pins, tasks } = releaseWorld();
  const delegation = memoryDelegationStore();
  const userActions = memoryUserActionLog();
  const searches: string[] = [];
  const verifyUser = async (authorization: string | null) => {
    const user = TOKENS[authorization?.replace(/^Bearer /, '') ?? ''];
    if (!user) throw new UnauthorizedError('Invalid token');
    return user;
  };
  const log = recordingLog();
  const releaseDeps: ReleaseApiDependencies = {
    api: graph.api,
    holds,
    audit,
    tasks,
    log,
    pins: pins.store,
    listReleasePrinters: async () => [],
    releasePrinters: [LIBRARY],
    verifyUser,
    userActions,
    ...(on ? { delegation } : {}),
  };
  const people = {
    search: async (text: string) => {
      searches.push(text);
      return DIRECTORY.filter((p) => p.displayName!.startsWith(text) || p.userPrincipalName!.startsWith(text));
    },
    find: async (id: string) => DIRECTORY.find((p) => p.id === id),
  };
  const delegatesDeps = { verifyUser, holds, log, userActions, ...(on ? { delegation, people } : {}) };
  const hold = async (user: TestUser, extra: Parameters<typeof heldJobFor>[3] = {}) => {
    const { held } = heldJobFor(graph, user, QUEUE, { ownerName: nameOf(user), ...extra });
    await holds.add(held);
    await audit.write(heldAuditRecord(held));
    return held;
  };
  const request = (path: string, token: string, body?: unknown) =>
    new HttpRequest({
      method: body === undefined ? 'GET' : 'POST',
      url: `${SITE}/api/release/${path}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: { string: JSON.stringify(body) } }),
    });
  const as = (user: TestUser) => {
    const token = `${nameOf(user)}-token`;
    return {
      delegates: (action: DelegatesAction, body?: unknown, query = '') =>
        handleDelegatesApi(action, request(`delegates/${action}${query}`, token, body), delegatesDeps),
      list: async () =>
        (await handleReleaseApi('list', request('jobs', token), releaseDeps)).jsonBody as {
          jobs: { taskId: string; handedTo?: { id: string } }[];
          delegated?: { taskId: string; via: string; owner: { displayName?: string; userPrincipalName: string } }[];
        },
      release: async (...taskIds: string[]) =>
        (
          (
            await handleReleaseApi(
              'release',
              request('jobs/release', token, { taskIds, printerId: LIBRARY }),
              releaseDeps,
            )
          ).jsonBody as { results: { taskId: string; status: string }[] }
        ).results.map((r) => r.status),
      delete: async (...taskIds: string[]) =>
        (
          (await handleReleaseApi('delete', request('jobs/delete', token, { taskIds }), releaseDeps)).jsonBody as {
            results: { status: string }[];
          }
        ).results.map((r) => r.status),
    };
  };
  return { graph, holds, audit, delegation, userActions, searches, hold, as, log };
}

describe('delegates: who may see and release whose held jobs', () => {
  it('a delegate of Adele lists and releases Adele’s job, marked with her name; audited in both logs', async () => {
    const { hold, as, audit, userActions, graph } = setUp();
    const job = await hold(ADELE);
    expect((await as(ADELE).delegates('add', { id: MEGAN.id })).status).toBe(200);
    const listed = await as(MEGAN).list();
    expect(listed.jobs).toEqual([]);
    expect(listed.delegated).toEqual([
      expect.objectContaining({
        taskId: job.taskId,
        via: 'delegate',
        owner: { displayName: 'adele', userPrincipalName: ADELE.upn },
      }),
    ]);
    expect(await as(MEGAN).release(job.taskId)).toEqual(['released']);
    expect(audit.records.get(job.taskId)).toMatchObject({
      outcome: 'hold-released',
      detail: expect.stringContaining(`released by ${MEGAN.upn} for ${ADELE.upn}`),
    });
    expect(graph.calls.some((c) => c.method === 'redirectJob')).toBe(true);
    expect(userActions.entries.map((e) => e.action)).toEqual(['delegate-added', 'released-for-owner']);
    expect(userActions.entries[1]).toMatchObject({
      actor: { id: MEGAN.id },
      owner: { id: ADELE.id },
      taskId: job.taskId,
    });
  });

  it('a delegate of Adele cannot list, release, delete or hand over Lee’s jobs', async () => {
    const { hold, as, holds } = setUp();
    const lees = await hold(LEE);
    await as(ADELE).delegates('add', { id: MEGAN.id });
    expect((await as(MEGAN).list()).delegated).toEqual([]);
    expect(await as(MEGAN).release(lees.taskId)).toEqual(['not-found']);
    expect(await as(MEGAN).delete(lees.taskId)).toEqual(['not-found']);
    expect((await as(MEGAN).delegates('hand-over', { taskId: lees.taskId, to: { id: MEGAN.id } })).status).toBe(404);
    expect(holds.held.has(lees.taskId)).toBe(true);
  });

  it('delegates cannot delete, hand over or take back the owner’s jobs', async () => {
    const { hold, as, holds } = setUp();
    const job = await hold(ADELE);
    await as(ADELE).delegates('add', { id: MEGAN.id });
    expect(await as(MEGAN).delete(job.taskId)).toEqual(['not-found']);
    expect((await as(MEGAN).delegates('hand-over', { taskId: job.taskId, to: { id: BOB.id } })).status).toBe(404);
    expect((await as(MEGAN).delegates('take-back', { taskId: job.taskId })).status).toBe(404);
    expect(holds.held.get(job.taskId)?.handedTo).toBeUndefined();
  });

  it('a revoked delegate can do nothing: the list is empty and a release finds nothing', async () => {
    const { hold, as, holds, userActions } = setUp();
    const job = await hold(ADELE);
    await as(ADELE).delegates('add', { id: MEGAN.id });
    expect((await as(MEGAN).list()).delegated).toHaveLength(1);
    expect((await as(ADELE).delegates('remove', { id: MEGAN.id })).jsonBody).toEqual({ removed: true });
    expect((await as(MEGAN).list()).delegated).toEqual([]);
    expect(await as(MEGAN).release(job.taskId)).toEqual(['not-found']);
    expect(holds.held.has(job.taskId)).toBe(true);
    expect(userActions.entries.map((e) => e.action)).toEqual(['delegate-added', 'delegate-removed']);
  });

  it('a revocation between listing and the claim wins: the job goes back, still held', async () => {
    const { hold, as, holds, delegation } = setUp();
    const job = await hold(ADELE);
    await as(ADELE).delegates('add', { id: MEGAN.id });
    // The reverse index still names Adele (a stale row), but her own row is gone: it grants nothing.
    const ownersOf = delegation.ownersOf.bind(delegation);
    delegation.ownersOf = async (id) => {
      const owners = await ownersOf(id);
      await delegation.removeDelegate(ADELE.id, MEGAN.id);
      return owners;
    };
    expect(await as(MEGAN).release(job.taskId)).toEqual(['not-found']);
    expect(holds.held.has(job.taskId)).toBe(true);
  });

  it('a hand-over lets exactly that colleague release exactly that job; take-back ends it', async () => {
    const { hold, as, holds, userActions } = setUp();
    const handed = await hold(ADELE);
    const other = await hold(ADELE);
    expect(
      (await as(ADELE).delegates('hand-over', { taskId: handed.taskId, to: { id: LEE.id } })).jsonBody,
    ).toMatchObject({ handedTo: { id: LEE.id, userPrincipalName: LEE.upn } });
    expect((await as(ADELE).list()).jobs.find((j) => j.taskId === handed.taskId)?.handedTo?.id).toBe(LEE.id);
    expect((await as(LEE).list()).delegated?.map((j) => [j.taskId, j.via])).toEqual([[handed.taskId, 'handed']]);
    expect((await as(BOB).list()).delegated).toEqual([]);
    expect(await as(BOB).release(handed.taskId)).toEqual(['not-found']);
    expect(await as(LEE).release(other.taskId)).toEqual(['not-found']);
    expect(await as(LEE).delete(handed.taskId)).toEqual(['not-found']);

    expect((await as(ADELE).delegates('take-back', { taskId: handed.taskId })).jsonBody).toEqual({
      taskId: handed.taskId,
      takenBack: true,
    });
    expect((await as(LEE).list()).delegated).toEqual([]);
    expect(await as(LEE).release(handed.taskId)).toEqual(['not-found']);
    expect(holds.held.get(handed.taskId)?.handedTo).toBeUndefined();

    await as(ADELE).delegates('hand-over', { taskId: handed.taskId, to: { id: LEE.id } });
    expect(await as(LEE).release(handed.taskId)).toEqual(['released']);
    expect(holds.held.has(handed.taskId)).toBe(false);
    expect(userActions.entries.map((e) => e.action)).toEqual([
      'job-handed-over',
      'job-taken-back',
      'job-handed-over',
      'released-for-owner',
    ]);
  });

  it('handing to someone else ends the first hand-over', async () => {
    const { hold, as } = setUp();
    const job = await hold(ADELE);
    await as(ADELE).delegates('hand-over', { taskId: job.taskId, to: { id: LEE.id } });
    await as(ADELE).delegates('hand-over', { taskId: job.taskId, to: { id: BOB.id } });
    expect((await as(LEE).list()).delegated).toEqual([]);
    expect(await as(LEE).release(job.taskId)).toEqual(['not-found']);
    expect(await as(BOB).release(job.taskId)).toEqual(['released']);
  });

  it('a job the policy keeps from delegation is never shown, released or handed to others', async () => {
    const { hold, as, holds } = setUp();
    const secret = await hold(ADELE, { noDelegation: true });
    await as(ADELE).delegates('add', { id: MEGAN.id });
    expect((await as(ADELE).delegates('hand-over', { taskId: secret.taskId, to: { id: LEE.id } })).status).toBe(403);
    // Even a handedTo written some other way grants nothing on such a hold.
    await holds.update({ id: ADELE.id }, secret.taskId, (h) => ({ ...h, handedTo: { id: LEE.id } }));
    for (const other of [MEGAN, LEE]) {
      expect((await as(other).list()).delegated).toEqual([]);
      expect(await as(other).release(secret.taskId)).toEqual(['not-found']);
    }
    expect(await as(ADELE).release(secret.taskId)).toEqual(['released']);
  });

  it('delegation off: the delegates API answers 404 delegation_off and nobody sees others’ jobs', async () => {
    const { hold, as, holds, delegation } = setUp({ delegation: false });
    const job = await hold(ADELE);
    for (const [action, body] of [
      ['list', undefined],
      ['add', { id: MEGAN.id }],
      ['hand-over', { taskId: job.taskId, to: { id: MEGAN.id } }],
      ['people', undefined],
    ] as const)
      expect(await as(ADELE).delegates(action, body, action === 'people' ? '?q=me' : '')).toMatchObject({
        status: 404,
        jsonBody: { error: { code: 'delegation_off' } },
      });
    // Rows left from when it was on grant nothing.
    await delegation.addDelegate({ id: ADELE.id }, { id: MEGAN.id });
    expect((await as(MEGAN).list()).delegated).toBeUndefined();
    expect(await as(MEGAN).release(job.taskId)).toEqual(['not-found']);
    expect(holds.held.has(job.taskId)).toBe(true);
  });

  it('adding: the colleague must exist and not be yourself; lists both directions', async () => {
    const { as } = setUp();
    expect((await as(ADELE).delegates('add', { id: ADELE.id })).status).toBe(400);
    expect((await as(ADELE).delegates('add', { id: '99999999-9999-4999-8999-999999999999' })).jsonBody).toMatchObject({
      error: { code: 'unknown_user' },
    });
    expect((await as(ADELE).delegates('add', { id: 'not-an-id' })).status).toBe(400);
    await as(ADELE).delegates('add', { id: MEGAN.id });
    expect((await as(ADELE).delegates('list')).jsonBody).toEqual({
      delegates: [{ id: MEGAN.id, userPrincipalName: MEGAN.upn, displayName: 'megan' }],
      delegateOf: [],
    });
    expect((await as(MEGAN).delegates('list')).jsonBody).toMatchObject({
      delegates: [],
      delegateOf: [{ id: ADELE.id, userPrincipalName: ADELE.upn }],
    });
  });

  it('people: at least 2 characters; never more than id, name and UPN', async () => {
    const { as, searches } = setUp();
    expect((await as(ADELE).delegates('people', undefined, '?q=m')).status).toBe(400);
    expect(searches).toEqual([]);
    const found = await as(ADELE).delegates('people', undefined, '?q=me');
    expect(found.jsonBody).toEqual({ people: [{ id: MEGAN.id, displayName: 'megan', userPrincipalName: MEGAN.upn }] });
  });

  it('no token or a forged one: 401, nothing changed', async () => {
    const { delegation } = setUp();
    const response = await handleDelegatesApi(
      'add',
      new HttpRequest({
        method: 'POST',
        url: `${SITE}/api/release/delegates/add`,
        headers: { authorization: 'Bearer forged', 'content-type': 'application/json' },
        body: { string: JSON.stringify({ id: MEGAN.id }) },
      }),
      {
        verifyUser: async () => {
          throw new UnauthorizedError('bad');
        },
        holds: releaseWorld().holds,
        delegation,
        people: { search: async () => [], find: async () => undefined },
        log: recordingLog(),
      },
    );
    expect(response.status).toBe(401);
    expect(await delegation.ownersOf(MEGAN.id)).toEqual([]);
  });
});

describe('a delegation-table outage', () => {
  it('leaves the user’s own list working: others’ jobs are left out and logged', async () => {
    const { hold, as, delegation, log } = setUp();
    const own = await hold(MEGAN);
    await hold(ADELE);
    await as(ADELE).delegates('add', { id: MEGAN.id });
    jest.spyOn(delegation, 'ownersOf').mockRejectedValue(new Error('table down'));
    const listed = await as(MEGAN).list();
    expect(listed.jobs.map((j) => j.taskId)).toEqual([own.taskId]);
    expect(listed.delegated).toBeUndefined();
    expect(log.events.map((e) => e.event)).toContain('release.delegated-list-failed');
  });
});

describe('a user-action audit that cannot be written', () => {
  it('never undoes or blocks the step: the release and the naming stand, the loss is logged', async () => {
    const { hold, as, userActions, log, delegation } = setUp();
    const job = await hold(ADELE);
    jest.spyOn(userActions, 'write').mockRejectedValue(new Error('table down'));
    expect((await as(ADELE).delegates('add', { id: MEGAN.id })).status).toBe(200);
    expect(await delegation.isDelegate(ADELE.id, MEGAN.id)).toBe(true);
    expect(await as(MEGAN).release(job.taskId)).toEqual(['released']);
    expect(log.events.filter((e) => e.event === 'user-action.not-recorded')).toHaveLength(2);
  });
});

describe('directory search budget', () => {
  it('at most 30 searches a minute per user, then 429 with retry-after; another user is not affected', async () => {
    let t = 0;
    const allowed = searchLimit(30, () => t);
    for (let i = 0; i < 30; i++) expect(allowed('a')).toBe(true);
    expect(allowed('a')).toBe(false);
    expect(allowed('b')).toBe(true);
    t += 60_001;
    expect(allowed('a')).toBe(true);
    const response = await handleDelegatesApi(
      'people',
      new HttpRequest({
        method: 'GET',
        url: `${SITE}/api/release/people?q=meg`,
        headers: { authorization: 'Bearer adele-token' },
      }),
      {
        verifyUser: async () => TOKENS['adele-token']!,
        holds: releaseWorld().holds,
        delegation: memoryDelegationStore(),
        people: { search: async () => DIRECTORY, find: async () => undefined },
        searchAllowed: () => false,
        log: recordingLog(),
      },
    );
    expect(response).toMatchObject({ status: 429, headers: { 'retry-after': '60' } });
  });
});

describe('hand-over notes and storage failures', () => {
  it('a note whose job ended is dropped the next time the colleague lists', async () => {
    const { hold, as, delegation } = setUp();
    const handed = await hold(ADELE);
    await as(ADELE).delegates('hand-over', { taskId: handed.taskId, to: { id: LEE.id } });
    expect(await delegation.handedTo(LEE.id)).toHaveLength(1);
    expect(await as(ADELE).delete(handed.taskId)).toEqual(['deleted']);
    expect((await as(LEE).list()).delegated).toEqual([]);
    expect(await delegation.handedTo(LEE.id)).toEqual([]);
  });

  it('a storage failure on one job answers that job failed, still held; the others are released', async () => {
    const { hold, as, holds } = setUp();
    const first = await hold(ADELE);
    const second = await hold(ADELE);
    const claim = holds.claim.bind(holds);
    jest
      .spyOn(holds, 'claim')
      .mockImplementation(async (owner, taskId) =>
        taskId === second.taskId ? Promise.reject(new Error('table busy')) : claim(owner, taskId),
      );
    expect(await as(ADELE).release(first.taskId, second.taskId)).toEqual(['released', 'failed']);
    expect(holds.held.has(second.taskId)).toBe(true);
  });
});

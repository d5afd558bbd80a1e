import { HttpRequest } from '@azure/functions';
import { handleReleaseApi, type ReleaseApiDependencies } from '../../../src/release/release-api';
import { PrinterAccessUnavailable, type PrinterAccessCheck } from '../../../src/release/printer-access';
import { InsufficientScopeError, UnauthorizedError, type SignedInUser } from '../../../src/release/user-token';
import {
  graphError,
  heldAuditRecord,
  heldJobFor,
  recordingLog,
  PRINTERS,
  releaseWorld,
  USERS,
} from '../../support/release-fakes';

const SITE = 'https://release-gate.example';
const { queue: QUEUE, library: LIBRARY, hr: HR } = PRINTERS;
const { adele: ADELE, megan: MEGAN } = USERS;

/** Tokens the fake verifier knows; anything else is refused as the real one refuses it. */
const TOKENS: Record<string, SignedInUser | 'no-scope'> = {
  'adele-token': { objectId: ADELE.id, userPrincipalName: ADELE.upn },
  'megan-token': { objectId: MEGAN.id, userPrincipalName: MEGAN.upn },
  'other-scope-token': 'no-scope',
};

function setUp(options: { releasePrinters?: string[]; printerAccess?: PrinterAccessCheck } = {}) {
  const { graph, holds, audit, pins, tasks } = releaseWorld();
  const verified: (string | null)[] = [];
  const deps: ReleaseApiDependencies = {
    api: graph.api,
    holds,
    audit,
    tasks,
    log: recordingLog(),
    pins: pins.store,
    listReleasePrinters: async () => [LIBRARY, HR].map((id) => ({ id, displayName: `Printer ${id.slice(-1)}` })),
    verifyUser: async (authorization) => {
      verified.push(authorization);
      const user = TOKENS[authorization?.replace(/^Bearer /, '') ?? ''];
      if (user === 'no-scope') throw new InsufficientScopeError('The token lacks the Release.Use scope');
      if (!user) throw new UnauthorizedError('Invalid token: signature verification failed');
      return user;
    },
    ...(options.releasePrinters ? { releasePrinters: options.releasePrinters } : {}),
    ...(options.printerAccess ? { printerAccess: options.printerAccess } : {}),
  };
  const hold = async (user: typeof ADELE, extra: Parameters<typeof heldJobFor>[3] = {}) => {
    const { held, job } = heldJobFor(graph, user, QUEUE, extra);
    await holds.add(held);
    await audit.write(heldAuditRecord(held));
    return { held, job, task: graph.tasks.get(held.taskId)! };
  };
  const call = (
    action: Parameters<typeof handleReleaseApi>[0],
    token: string | undefined,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    handleReleaseApi(
      action,
      new HttpRequest({
        method: body === undefined ? 'GET' : 'POST',
        url: `${SITE}/api/release/jobs${action === 'list' ? '' : `/${action}`}`,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          'content-type': 'application/json',
          ...headers,
        },
        ...(body === undefined ? {} : { body: { string: typeof body === 'string' ? body : JSON.stringify(body) } }),
      }),
      deps,
    );
  return { graph, holds, pins, deps, verified, hold, call };
}

const results = (response: { jsonBody?: unknown }) => (response.jsonBody as { results: unknown[] }).results;

describe('handleReleaseApi: who is asking', () => {
  it('no token or a bad one: 401 with the Bearer challenge; a token without Release.Use: 403', async () => {
    const { call } = setUp();
    for (const token of [undefined, 'forged-token'])
      expect(await call('list', token)).toMatchObject({
        status: 401,
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        jsonBody: { error: { code: 'unauthorized' } },
      });
    expect(await call('list', 'other-scope-token')).toMatchObject({
      status: 403,
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' },
      jsonBody: { error: { code: 'insufficient_scope' } },
    });
  });

  it('a cross-site request (another origin, or Origin: null) is refused before the token is read', async () => {
    const { call, verified } = setUp();
    for (const origin of ['https://evil.example', 'null'])
      expect(await call('list', 'adele-token', undefined, { origin })).toMatchObject({
        status: 403,
        jsonBody: { error: { code: 'cross_site' } },
      });
    expect(verified).toEqual([]);
    expect((await call('list', 'adele-token', undefined, { origin: SITE })).status).toBe(200);
  });

  it('lists only the signed-in user’s held jobs, never cached', async () => {
    const { call, hold } = setUp();
    const mine = await hold(ADELE);
    await hold(MEGAN);
    const listed = await call('list', 'adele-token');
    expect(listed).toMatchObject({
      status: 200,
      headers: { 'cache-control': 'no-store' },
      jsonBody: { user: ADELE.upn, jobs: [expect.objectContaining({ taskId: mine.held.taskId })], expired: [] },
    });
    expect((listed.jsonBody as { jobs: unknown[] }).jobs).toHaveLength(1);
  });

  it('lists each job as the release page shows it: colour, sides, copies and paper as it will print', async () => {
    const { call, hold } = setUp();
    const held = await hold(ADELE, {
      copies: 2,
      colorMode: 'color',
      duplexMode: 'flipOnLongEdge',
      mediaSize: 'A4',
      releaseConfiguration: { colorMode: 'grayscale' },
    });
    const { jobs } = (await call('list', 'adele-token')).jsonBody as { jobs: Record<string, unknown>[] };
    expect(jobs).toEqual([
      {
        taskId: held.held.taskId,
        documentName: held.held.documentName,
        sizeBytes: held.held.sizeBytes,
        copies: 2,
        color: 'blackAndWhite',
        sides: 'two',
        mediaSize: 'A4',
        heldAt: held.held.heldAt,
        expiresAt: held.held.expiresAt,
        printerId: QUEUE,
      },
    ]);
  });
});

describe('handleReleaseApi: release and delete', () => {
  it('releases the user’s job to the printer they chose; a second click finds nothing', async () => {
    const { call, hold, graph } = setUp({ releasePrinters: [LIBRARY] });
    const { held, task } = await hold(ADELE);
    const body = { taskIds: [held.taskId], printerId: LIBRARY, changes: { grayscale: true } };
    const [first, second] = await Promise.all([
      call('release', 'adele-token', body),
      call('release', 'adele-token', body),
    ]);
    expect([first, second].map((r) => (results(r)[0] as { status: string }).status).sort()).toEqual([
      'not-found',
      'released',
    ]);
    expect(graph.count('redirectJob')).toBe(1);
    expect(graph.calls.find((c) => c.method === 'redirectJob')!.args[3]).toEqual({ colorMode: 'grayscale' });
    expect(task.state).toBe('completed');
  });

  it('another user’s job: not found for release and delete; it stays held and Graph never sees it', async () => {
    const { call, hold, holds, graph } = setUp({ releasePrinters: [LIBRARY] });
    const { held } = await hold(MEGAN);
    expect(results(await call('release', 'adele-token', { taskIds: [held.taskId], printerId: LIBRARY }))).toEqual([
      { taskId: held.taskId, status: 'not-found' },
    ]);
    expect(results(await call('delete', 'adele-token', { taskIds: [held.taskId] }))).toEqual([
      { taskId: held.taskId, status: 'not-found' },
    ]);
    expect(holds.held.has(held.taskId)).toBe(true);
    expect(graph.calls.filter((c) => c.method !== 'getPrinter')).toEqual([]);
  });

  it('deletes the user’s job', async () => {
    const { call, hold } = setUp({ releasePrinters: [LIBRARY] });
    const { held, job } = await hold(ADELE);
    expect(await call('delete', 'adele-token', { taskIds: [held.taskId] })).toMatchObject({
      status: 200,
      jsonBody: { results: [{ taskId: held.taskId, status: 'deleted' }] },
    });
    expect(job.state).toBe('aborted');
  });

  it('a malformed body: 400 naming each field; not JSON: 400; nothing claimed', async () => {
    const { call, hold, holds } = setUp({ releasePrinters: [LIBRARY] });
    const { held } = await hold(ADELE);
    const bad = await call('release', 'adele-token', { taskIds: ['../x'], printerId: 'nope' });
    expect(bad.status).toBe(400);
    expect((bad.jsonBody as { error: { message: string } }).error.message).toMatch(
      /^taskIds\.0: .*; printerId: a printer id$/,
    );
    expect(
      await call('release', 'adele-token', { taskIds: [held.taskId], printerId: LIBRARY, printerIdToo: 1 }),
    ).toMatchObject({ status: 400, jsonBody: { error: { code: 'invalid_request' } } });
    expect(
      await call('release', 'adele-token', { taskIds: [held.taskId], printerId: LIBRARY, changes: { copies: 0 } }),
    ).toMatchObject({ status: 400 });
    expect(await call('delete', 'adele-token', '{"taskIds": [')).toMatchObject({
      status: 400,
      jsonBody: { error: { code: 'invalid_json' } },
    });
    expect(await call('delete', 'adele-token', { taskIds: [] })).toMatchObject({ status: 400 });
    expect(holds.held.has(held.taskId)).toBe(true);
  });

  it('a pull queue: 400 not_a_printer; an unknown printer: 400 unknown_printer; Graph busy: 503; all still held', async () => {
    const { call, hold, holds, graph } = setUp({ printerAccess: async (_user, _token, ids) => new Set(ids) });
    const { held } = await hold(ADELE);
    const release = (printerId: string) => call('release', 'adele-token', { taskIds: [held.taskId], printerId });
    expect(await release(QUEUE)).toMatchObject({ status: 400, jsonBody: { error: { code: 'not_a_printer' } } });
    expect(await release('aaaaaaaa-0000-4000-8000-00000000ffff')).toMatchObject({
      status: 400,
      jsonBody: { error: { code: 'unknown_printer' } },
    });
    graph.fail('getPrinter', graphError(503, 'busy'));
    expect(await release(HR)).toMatchObject({ status: 503, headers: { 'retry-after': '5' } });
    expect(holds.held.has(held.taskId)).toBe(true);
  });
});

describe('handleReleaseApi: where a job may come out', () => {
  const adeleMayUse =
    (...allowed: string[]): PrinterAccessCheck =>
    async (user, token, printerIds) => {
      // The check is asked as the signed-in user, with their own token.
      expect({ user: user.objectId, token }).toEqual({ user: ADELE.id, token: 'adele-token' });
      return new Set(printerIds.filter((id) => allowed.includes(id)));
    };

  it('without declared release printers: only printers the user may print to are listed or accepted', async () => {
    const { call, hold, holds, graph } = setUp({ printerAccess: adeleMayUse(LIBRARY) });
    expect(await call('printers', 'adele-token')).toMatchObject({
      status: 200,
      jsonBody: { printers: [expect.objectContaining({ id: LIBRARY })] },
    });
    const { held } = await hold(ADELE);
    expect(await call('release', 'adele-token', { taskIds: [held.taskId], printerId: HR })).toMatchObject({
      status: 403,
      jsonBody: { error: { code: 'printer_not_allowed' } },
    });
    expect(holds.held.has(held.taskId)).toBe(true);
    expect(graph.calls).toEqual([]);
    expect(results(await call('release', 'adele-token', { taskIds: [held.taskId], printerId: LIBRARY }))).toEqual([
      expect.objectContaining({ status: 'released' }),
    ]);
  });

  it('share access that cannot be read now is a 503, never an allow', async () => {
    const unavailable: PrinterAccessCheck = async () => {
      throw new PrinterAccessUnavailable('Graph busy');
    };
    const { call, hold, holds } = setUp({ printerAccess: unavailable });
    const { held } = await hold(ADELE);
    for (const response of [
      await call('printers', 'adele-token'),
      await call('release', 'adele-token', { taskIds: [held.taskId], printerId: LIBRARY }),
    ])
      expect(response).toMatchObject({ status: 503, headers: { 'retry-after': '5' } });
    expect(holds.held.has(held.taskId)).toBe(true);
  });

  it('no declared release printers and no way to check shares: nothing is allowed (fail closed)', async () => {
    const { call, hold } = setUp();
    const { held } = await hold(ADELE);
    expect(await call('printers', 'adele-token')).toMatchObject({ status: 200, jsonBody: { printers: [] } });
    expect((await call('release', 'adele-token', { taskIds: [held.taskId], printerId: LIBRARY })).status).toBe(403);
  });

  it('declared release printers are open to every user', async () => {
    const { call } = setUp({ releasePrinters: [LIBRARY, HR] });
    expect(
      ((await call('printers', 'megan-token')).jsonBody as { printers: { id: string }[] }).printers.map((p) => p.id),
    ).toEqual([LIBRARY, HR]);
  });
});

describe('handleReleaseApi: PIN', () => {
  it('refuses short and guessable PINs with the reason; keeps a good one for the signed-in user', async () => {
    const { call, pins } = setUp();
    for (const weak of ['4829', '111111', '123456', '654321', '121212', '147258', '12a456'])
      expect([weak, await call('pin', 'adele-token', { pin: weak })]).toEqual([
        weak,
        expect.objectContaining({
          status: 400,
          jsonBody: { error: { code: 'weak_pin', message: expect.stringMatching(/^pin: /) } },
        }),
      ]);
    expect(pins.pins.size).toBe(0);
    expect(await call('pin', 'adele-token', { pin: '482916' })).toEqual({
      status: 204,
      headers: { 'cache-control': 'no-store' },
    });
    expect(pins.pins.get(ADELE.id)).toMatchObject({ objectId: ADELE.id, userPrincipalName: ADELE.upn, pin: '482916' });
    expect(await call('pin', 'adele-token', { pin: 482916 })).toMatchObject({ status: 400 });
  });
});

describe('handleReleaseApi: keep longer', () => {
  it("keeps the user's own jobs up to the policy's maximum; others' are not-found; the list says how far", async () => {
    const { call, hold, holds } = setUp();
    const max = new Date(Date.now() + 3 * 3_600_000).toISOString();
    const { held: keepable } = await hold(ADELE, { keepUntilMax: max });
    const { held: fixed } = await hold(ADELE);
    const { held: megans } = await hold(MEGAN, { keepUntilMax: max });
    const listed = (await call('list', 'adele-token')).jsonBody as {
      jobs: { taskId: string; keepUntilMax?: string }[];
    };
    const newExpiry = new Date(Date.parse(keepable.expiresAt) + 61 * 60_000).toISOString();
    expect(listed.jobs.find((j) => j.taskId === keepable.taskId)).toMatchObject({
      keepUntilMax: max,
      nextKeepUntil: newExpiry,
    });
    expect(listed.jobs.find((j) => j.taskId === fixed.taskId)).not.toHaveProperty('keepUntilMax');

    const kept = await call('keep', 'adele-token', { taskIds: [keepable.taskId, fixed.taskId, megans.taskId] });
    expect(kept.status).toBe(200);
    expect(results(kept)).toEqual([
      { taskId: keepable.taskId, status: 'kept', expiresAt: newExpiry },
      { taskId: fixed.taskId, status: 'refused', reason: expect.stringMatching(/not let this job be kept longer/) },
      { taskId: megans.taskId, status: 'not-found' },
    ]);
    expect((await holds.get(MEGAN.upn, megans.taskId))?.expiresAt).toBe(megans.expiresAt);
    expect(await call('keep', 'adele-token', { taskIds: [] })).toMatchObject({ status: 400 });
    expect(await call('keep', undefined, { taskIds: [keepable.taskId] })).toMatchObject({ status: 401 });
  });
});

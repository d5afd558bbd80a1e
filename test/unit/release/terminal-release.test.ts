import { HttpRequest } from '@azure/functions';
import { tableAttemptLimiter } from '../../../src/release/rate-limit';
import {
  DEFAULT_BADGE_PATTERN,
  NOT_ACCEPTED as notAccepted,
  terminalKeyHash,
  terminalRelease,
  type TerminalDependencies,
  type TerminalSignIn,
} from '../../../src/release/terminal-release';
import type { TerminalList } from '../../../src/release/terminal-registry';
import {
  FakeTable,
  heldAuditRecord,
  heldJobFor,
  recordingLog,
  PRINTERS,
  releaseWorld,
  USERS,
} from '../../support/release-fakes';

const { queue: QUEUE, library: LIBRARY, hr: HR } = PRINTERS;
const KEY = 'terminal-key-with-plenty-of-entropy-1234567890';
const { megan: MEGAN, lee: LEE } = USERS;
const BADGES = new Map([
  ['S2005', LEE],
  ['E1003', MEGAN],
]);
const TERMINALS = [
  { id: 'library-panel', printerId: LIBRARY, keySha256: terminalKeyHash(KEY) },
  { id: 'lobby-panel', printerId: LIBRARY, keySha256: terminalKeyHash(KEY) },
  { id: 'queue-panel', printerId: QUEUE, keySha256: terminalKeyHash(KEY) },
];

function setUp(options: { signIn?: TerminalSignIn; terminals?: TerminalList; badgeLookupError?: Error } = {}) {
  const { graph, holds, audit, pins, tasks } = releaseWorld();
  const log = recordingLog();
  const badgeLookups: string[] = [];
  let listings = 0;
  const listByOwner = holds.listByOwner.bind(holds);
  holds.listByOwner = async (owner) => {
    listings++;
    return listByOwner(owner);
  };
  // The real back-off rules over an in-memory table, on jest's clock.
  const attempts = tableAttemptLimiter(new FakeTable().client, { now: () => new Date() });
  const deps: TerminalDependencies = {
    api: graph.api,
    holds,
    audit,
    tasks,
    log,
    pins: pins.store,
    attempts,
    terminals: async () => options.terminals ?? { terminals: TERMINALS },
    userByBadge: async (badge) => {
      badgeLookups.push(badge);
      if (options.badgeLookupError) throw options.badgeLookupError;
      const user = BADGES.get(badge);
      return user && { id: user.id, userPrincipalName: user.upn };
    },
    badgePattern: new RegExp(DEFAULT_BADGE_PATTERN),
    signIn: options.signIn ?? 'badge-or-pin',
  };
  const hold = async (user: typeof LEE, extra: Parameters<typeof heldJobFor>[3] = {}) => {
    const { held, job } = heldJobFor(graph, user, QUEUE, extra);
    await holds.add(held);
    await audit.write(heldAuditRecord(held));
    return { held, job, task: graph.tasks.get(held.taskId)! };
  };
  const terminal = (body: unknown, terminalId = 'library-panel', key = KEY) =>
    terminalRelease(
      new HttpRequest({
        method: 'POST',
        url: 'https://release-gate.example/api/terminal/release',
        headers: { 'content-type': 'application/json', 'x-terminal-id': terminalId, 'x-terminal-key': key },
        body: { string: typeof body === 'string' ? body : JSON.stringify(body) },
      }),
      deps,
    );
  return {
    graph,
    holds,
    pins,
    log,
    hold,
    terminal,
    badgeLookups,
    listings: () => listings,
    setPin: (user: typeof LEE, pin: string) => pins.setPin({ objectId: user.id, userPrincipalName: user.upn }, pin),
  };
}

const NOT_ACCEPTED = { status: 401, jsonBody: { error: { code: 'not_accepted' } } };

describe('terminalRelease: the terminal', () => {
  it('an unknown terminal or a wrong key: 401, and nothing is read', async () => {
    const { terminal, badgeLookups } = setUp();
    for (const [id, key] of [
      ['library-panel', 'guess'],
      ['other', KEY],
      ['library-panel', ''],
    ])
      expect(await terminal({ badge: 'S2005' }, id, key)).toMatchObject({
        status: 401,
        jsonBody: { error: { code: 'unknown_terminal' } },
      });
    expect(badgeLookups).toEqual([]);
  });

  it('terminals that cannot be known now: 503 with Retry-After', async () => {
    const { terminal } = setUp({ terminals: { unavailable: 'invalid' } });
    expect(await terminal({ badge: 'S2005' })).toMatchObject({
      status: 503,
      headers: { 'retry-after': '60' },
      jsonBody: { error: { code: 'terminals_unavailable' } },
    });
  });

  it('releases to the terminal’s own printer; the request cannot name another', async () => {
    const { terminal, hold, graph } = setUp();
    const jobs = [await hold(LEE), await hold(LEE)];
    const released = await terminal({ badge: 'S2005' });
    expect(released).toMatchObject({
      status: 200,
      headers: { 'cache-control': 'no-store' },
      jsonBody: { user: LEE.upn, printerId: LIBRARY },
    });
    expect((released.jsonBody as { results: unknown[] }).results).toEqual(
      jobs.map(({ held }) => expect.objectContaining({ taskId: held.taskId, status: 'released', printerId: LIBRARY })),
    );
    expect(graph.calls.filter((c) => c.method === 'redirectJob').map((c) => c.args[2])).toEqual([LIBRARY, LIBRARY]);
    expect(await terminal({ badge: 'S2005', printerId: HR })).toMatchObject({
      status: 400,
      jsonBody: { error: { code: 'invalid_request' } },
    });
  });

  it('a terminal bound to a pull queue: 409 and an error log for the admin; nothing claimed', async () => {
    const { terminal, hold, holds, log } = setUp();
    const { held } = await hold(LEE);
    expect(await terminal({ badge: 'S2005' }, 'queue-panel')).toMatchObject({
      status: 409,
      jsonBody: { error: { code: 'not_a_printer' } },
    });
    expect(holds.held.has(held.taskId)).toBe(true);
    expect(log.events).toContainEqual(
      expect.objectContaining({
        level: 'error',
        event: 'terminal.cannot-release',
        fields: expect.objectContaining({ hint: expect.stringContaining('not to a pull queue') }),
      }),
    );
  });

  it('a job its policy keeps for another printer stays held; a job Universal Print deleted is reported expired', async () => {
    const { terminal, hold, graph, holds } = setUp();
    const confidential = await hold(LEE, { releaseAt: [HR] });
    const ordinary = await hold(LEE);
    const lost = await hold(LEE);
    graph.deleteJob(lost.job.printerId, lost.job.id);
    const byTask = new Map(
      ((await terminal({ badge: 'S2005' })).jsonBody as { results: { taskId: string; status: string }[] }).results.map(
        (r) => [r.taskId, r.status],
      ),
    );
    expect(byTask).toEqual(
      new Map([
        [confidential.held.taskId, 'failed'],
        [ordinary.held.taskId, 'released'],
        [lost.held.taskId, 'expired'],
      ]),
    );
    expect(holds.held.has(confidential.held.taskId)).toBe(true);
  });
});

describe('terminalRelease: badges, names and PINs', () => {
  it('malformed input is a 400 at once, before any look-up', async () => {
    const { terminal, badgeLookups, listings } = setUp();
    const cases: [unknown, string][] = [
      [{ badge: "' or userPrincipalName eq 'megan@contoso.example" }, 'invalid_badge'],
      [{ badge: '%27 or 1' }, 'invalid_badge'],
      [{ userPrincipalName: 'megan/x@contoso.example', pin: '482916' }, 'invalid_user_name'],
      [{ userPrincipalName: 'megan@contoso.example', pin: '48-916' }, 'invalid_pin'],
      [{ userPrincipalName: 'megan@contoso.example' }, 'invalid_request'],
      ['{"badge":', 'invalid_json'],
    ];
    for (const [body, code] of cases)
      expect([body, await terminal(body)]).toEqual([
        body,
        expect.objectContaining({ status: 400, jsonBody: { error: expect.objectContaining({ code }) } }),
      ]);
    expect(await terminal(JSON.stringify({ badge: 'x'.repeat(5000) }))).toMatchObject({ status: 413 });
    expect({ badgeLookups, listings: listings() }).toEqual({ badgeLookups: [], listings: 0 });
  });

  it('unknown badge, nothing held, unknown name, no PIN, wrong PIN: the same answer and the same work', async () => {
    const { terminal, setPin, pins, listings } = setUp();
    await setPin(MEGAN, '482916');
    const refusals = [
      { badge: 'NOPE' },
      { badge: 'S2005' }, // Lee has nothing held
      { userPrincipalName: 'nobody@contoso.example', pin: '739146' },
      { userPrincipalName: LEE.upn, pin: '739146' }, // no PIN set
      { userPrincipalName: MEGAN.upn, pin: '000001' },
      { badge: 'E1003', pin: '000001' },
    ];
    for (const body of refusals) expect([body, await terminal(body, 'lobby-panel')]).toEqual([body, notAccepted()]);
    // One hold listing and one PIN check per attempt, PIN or not.
    expect(listings()).toBe(refusals.length);
    expect(pins.verified).toHaveLength(refusals.length);
  });

  it('name and PIN, or badge and PIN, release the user’s jobs; a PIN shorter than the site’s minimum does not', async () => {
    const { terminal, setPin, hold, pins } = setUp();
    await setPin(MEGAN, '482916');
    await hold(MEGAN);
    expect((await terminal({ userPrincipalName: 'MEGAN@contoso.example', pin: '482916' })).status).toBe(200);
    await hold(MEGAN);
    expect((await terminal({ badge: 'E1003', pin: '482916' })).status).toBe(200);
    await hold(MEGAN);
    pins.minLength = 8; // the site raised its minimum since Megan chose her PIN
    expect(await terminal({ badge: 'E1003', pin: '482916' })).toMatchObject(NOT_ACCEPTED);
  });

  it('badge-and-pin: a badge alone or a name and PIN are refused (400)', async () => {
    const { terminal, setPin, hold } = setUp({ signIn: 'badge-and-pin' });
    await setPin(MEGAN, '482916');
    await hold(MEGAN);
    for (const body of [{ badge: 'E1003' }, { userPrincipalName: MEGAN.upn, pin: '482916' }])
      expect(await terminal(body)).toMatchObject({
        status: 400,
        jsonBody: { error: { code: 'badge_and_pin_required' } },
      });
    expect((await terminal({ badge: 'E1003', pin: '482916' })).status).toBe(200);
  });

  it('a badge look-up Graph refuses: 502 and an error log naming the permission it needs', async () => {
    const { terminal, log } = setUp({
      badgeLookupError: new Error('Insufficient privileges to complete the operation.'),
    });
    expect(await terminal({ badge: 'S2005' })).toMatchObject({
      status: 502,
      jsonBody: { error: { code: 'lookup_failed' } },
    });
    expect(log.events).toEqual([
      expect.objectContaining({
        level: 'error',
        event: 'terminal.badge-lookup-failed',
        fields: expect.objectContaining({ hint: expect.stringContaining('User.Read.All') }),
      }),
    ]);
  });
});

describe('terminalRelease: back-off', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-02T09:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('a stranger’s wrong PINs make the user wait at that terminal only; waiting ends; her new PIN clears it', async () => {
    const { terminal, setPin, hold } = setUp();
    await setPin(MEGAN, '482916');
    // Five free failures for one user at one terminal, then a 30 s wait.
    for (let i = 0; i < 6; i++)
      expect(await terminal({ userPrincipalName: MEGAN.upn, pin: '111112' })).toMatchObject(NOT_ACCEPTED);
    const { task } = await hold(MEGAN);
    expect(await terminal({ userPrincipalName: MEGAN.upn, pin: '482916' })).toMatchObject(NOT_ACCEPTED);
    expect(task.state).toBe('processing');
    // Another terminal never waited.
    expect((await terminal({ userPrincipalName: MEGAN.upn, pin: '482916' }, 'lobby-panel')).status).toBe(200);

    const next = await hold(MEGAN);
    // The refused try above counted too: the wait doubled (60 s). Not over after 59 s, over after 61 s.
    jest.setSystemTime(Date.now() + 59_000);
    expect(await terminal({ userPrincipalName: MEGAN.upn, pin: '482916' })).toMatchObject(NOT_ACCEPTED);
    jest.setSystemTime(Date.now() + 121_000);
    expect((await terminal({ userPrincipalName: MEGAN.upn, pin: '482916' })).status).toBe(200);
    expect(next.task.state).toBe('completed');
  });

  it('many failures at one terminal, whoever they name, slow that terminal down for everyone', async () => {
    const { terminal, setPin, hold } = setUp();
    await setPin(MEGAN, '482916');
    for (let i = 0; i < 21; i++) await terminal({ badge: `NOBODY-${i}` }); // 20 free failures per terminal
    await hold(MEGAN);
    expect(await terminal({ badge: 'E1003', pin: '482916' })).toMatchObject(NOT_ACCEPTED);
    expect((await terminal({ badge: 'E1003', pin: '482916' }, 'lobby-panel')).status).toBe(200);
  });
});

import { scryptSync } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { HttpRequest } from '@azure/functions';
import { startAzurite, type Azurite } from '../../sandbox/azurite';
import { tableHoldStore, type HoldStore } from '../../src/holds/hold-store';
import { createLog, type Log } from '../../src/observability/log';
import { PIN_HASH_COST, tablePinStore, type PinStore } from '../../src/release/pin-store';
import { tableAttemptLimiter } from '../../src/release/rate-limit';
import { terminalKeyHash, terminalRegistry } from '../../src/release/terminal-registry';
import {
  DEFAULT_BADGE_PATTERN,
  terminalRelease,
  type TerminalDependencies,
  type TerminalSignIn,
} from '../../src/release/terminal-release';

/**
 * Terminal sign-in against real tables (Azurite): the PIN store, the shared failure counts and the
 * hold store are the real ones; the badge directory is a map (the Graph look-up is tested end to end
 * in test/e2e/terminal-release.test.ts). Counting wrappers show that every refusal does the same work.
 */
describe('terminal sign-in: one answer for every refusal, back-off that cannot lock a user out', () => {
  let azurite: Azurite;
  let tableNumber = 0;
  const KEY = 'terminal-key-with-plenty-of-entropy-1234567890';
  const PRINTER = '00000000-0000-4000-8000-000000000003';
  const MEGAN = { objectId: '00000000-0000-4000-8000-0000000000a3', userPrincipalName: 'megan@contoso.example' };
  const ADELE = { objectId: '00000000-0000-4000-8000-0000000000a2', userPrincipalName: 'adele@contoso.example' };
  const GUEST = {
    objectId: '00000000-0000-4000-8000-0000000000a9',
    userPrincipalName: 'pat_fabrikam.example#EXT#@contoso.example',
  };
  const TEST_HASH_COST = 2 ** 10;
  const badges = new Map([
    ['E1003', MEGAN],
    ['E1002', ADELE],
  ]);

  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => azurite?.stop());

  /** A fresh table per test: counts from one test never leak into another. */
  const freshTable = () =>
    TableClient.fromConnectionString(azurite.connectionString, `terminals${++tableNumber}`, {
      allowInsecureConnection: true,
    });

  function setUp(
    options: {
      signIn?: TerminalSignIn;
      terminalsJson?: () => Promise<string | undefined>;
      terminalRule?: {
        freeFailures: number;
        firstDelaySeconds: number;
        maxDelaySeconds: number;
        forgetAfterSeconds: number;
      };
      /** Share one table between set-ups: two instances of the app. */
      table?: TableClient;
    } = {},
  ) {
    const table = options.table ?? freshTable();
    const attempts = tableAttemptLimiter(table, options.terminalRule ? { terminalRule: options.terminalRule } : {});
    // These tests count the work (one scrypt run per attempt), not its cost: a cheaper scrypt, as in
    // the app's unit tests' fakes (the app itself always uses PIN_HASH_COST, see the last test).
    const pins: PinStore = tablePinStore(table, { onPinSet: (id) => attempts.clearUser(id), hashCost: TEST_HASH_COST });
    const holds: HoldStore = tableHoldStore(freshTable());
    const calls = { verify: 0, lookups: 0, listed: [] as string[] };
    const logs: { level: string; line: Record<string, unknown> }[] = [];
    const sink = (level: string) => (text: unknown) =>
      logs.push({ level, line: JSON.parse(String(text)) as Record<string, unknown> });
    const log: Log = createLog({ info: sink('info'), warn: sink('warn'), error: sink('error') });
    const terminals = JSON.stringify(
      ['panel-a', 'panel-b'].map((id) => ({ id, printerId: PRINTER, keySha256: terminalKeyHash(KEY) })),
    );
    const deps = {
      log,
      holds: {
        ...holds,
        // Recorded by UPN (nobody's listing, for a refusal, has none).
        listByOwner: (owner: Parameters<HoldStore['listByOwner']>[0]) => (
          calls.listed.push(typeof owner === 'string' ? owner : (owner.userPrincipalName ?? '')),
          holds.listByOwner(owner)
        ),
      },
      pins: {
        ...pins,
        verify: (...args: Parameters<PinStore['verify']>) => (calls.verify++, pins.verify(...args)),
      },
      attempts,
      terminals: terminalRegistry(options.terminalsJson ?? (async () => terminals), { cacheMs: 60_000 }),
      userByBadge: async (badge: string) => {
        calls.lookups++;
        const user = badges.get(badge);
        return user ? { id: user.objectId, userPrincipalName: user.userPrincipalName } : undefined;
      },
      badgePattern: new RegExp(DEFAULT_BADGE_PATTERN),
      signIn: options.signIn ?? 'badge-or-pin',
      // Never reached: nothing is held in these tests, so nothing is released.
      api: undefined as never,
      audit: undefined as never,
      tasks: undefined as never,
    } satisfies TerminalDependencies;
    const send = async (body: unknown, terminal = 'panel-a') => {
      const response = await terminalRelease(
        new HttpRequest({
          method: 'POST',
          url: 'http://127.0.0.1/api/terminal/release',
          headers: { 'content-type': 'application/json', 'x-terminal-id': terminal, 'x-terminal-key': KEY },
          body: { string: typeof body === 'string' ? body : JSON.stringify(body) },
        }),
        deps,
      );
      return { status: response.status, body: response.jsonBody as { error?: { code: string; message: string } } };
    };
    return { send, calls, pins, logs };
  }

  it('unknown badge, nothing held, unknown name, no PIN, wrong PIN: the same 401, the same work', async () => {
    const { send, calls, pins } = setUp();
    await pins.setPin(MEGAN, '482916');
    const cases: [string, unknown][] = [
      ['unknown badge', { badge: 'NOPE-1' }],
      ['known badge, nothing held', { badge: 'E1002' }],
      ['unknown name', { userPrincipalName: 'nobody@contoso.example', pin: '482916' }],
      ['no PIN set', { userPrincipalName: ADELE.userPrincipalName, pin: '482916' }],
      ['wrong PIN', { userPrincipalName: MEGAN.userPrincipalName, pin: '000001' }],
      ['right PIN, nothing held', { userPrincipalName: MEGAN.userPrincipalName, pin: '482916' }],
    ];
    const answers = [];
    for (const [kind, body] of cases) {
      const before = { ...calls, listed: calls.listed.length };
      const answer = await send(body);
      answers.push(answer);
      // One PIN check (a stand-in hash when there is no PIN or no user) and one hold listing, every time.
      expect([kind, calls.verify - before.verify, calls.listed.length - before.listed]).toEqual([kind, 1, 1]);
      expect([kind, calls.lookups - before.lookups]).toEqual([kind, 'badge' in (body as object) ? 1 : 0]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toMatchObject({ status: 401, body: { error: { code: 'not_accepted' } } });
  }, 30000);

  it('wrong PINs slow down that user at that terminal only; a stranger cannot lock them out elsewhere', async () => {
    const { send, calls, pins } = setUp();
    await pins.setPin(MEGAN, '482916');
    for (let i = 0; i < 6; i++)
      expect((await send({ userPrincipalName: MEGAN.userPrincipalName, pin: '000001' })).status).toBe(401);
    // At panel A Megan must now wait: even her right PIN is refused there, with the same answer (and the same work).
    const verifyBefore = calls.verify;
    expect(await send({ userPrincipalName: MEGAN.userPrincipalName, pin: '482916' })).toMatchObject({
      status: 401,
      body: { error: { code: 'not_accepted' } },
    });
    expect(calls.verify - verifyBefore).toBe(1);
    expect(calls.listed.at(-1)).not.toBe(MEGAN.userPrincipalName);
    // At panel B she is accepted (her holds are listed).
    await send({ userPrincipalName: MEGAN.userPrincipalName, pin: '482916' }, 'panel-b');
    expect(calls.listed.at(-1)).toBe(MEGAN.userPrincipalName);
    // Her own new PIN on the release page clears the wait at panel A.
    await pins.setPin(MEGAN, '583027');
    await send({ userPrincipalName: MEGAN.userPrincipalName, pin: '583027' });
    expect(calls.listed.at(-1)).toBe(MEGAN.userPrincipalName);
  }, 30000);

  it('many failures at one terminal, whoever they name, slow that terminal only, on every instance', async () => {
    const rule = { freeFailures: 3, firstDelaySeconds: 60, maxDelaySeconds: 600, forgetAfterSeconds: 3600 };
    const table = freshTable();
    const [one, two] = [setUp({ terminalRule: rule, table }), setUp({ terminalRule: rule, table })];
    await one.pins.setPin(ADELE, '739146');
    for (const name of ['a', 'b', 'c', 'd'])
      expect((await one.send({ userPrincipalName: `${name}@contoso.example`, pin: '123987' })).status).toBe(401);
    // The other instance sees the same counts: panel A waits there too.
    await two.send({ userPrincipalName: ADELE.userPrincipalName, pin: '739146' });
    expect(two.calls.listed.at(-1)).not.toBe(ADELE.userPrincipalName);
    await two.send({ userPrincipalName: ADELE.userPrincipalName, pin: '739146' }, 'panel-b');
    expect(two.calls.listed.at(-1)).toBe(ADELE.userPrincipalName);
  }, 30000);

  it('back-off: free failures, then waits doubling up to a cap, forgotten after a quiet spell', async () => {
    let clock = Date.parse('2026-12-02T08:00:00Z');
    const rule = { freeFailures: 2, firstDelaySeconds: 10, maxDelaySeconds: 40, forgetAfterSeconds: 100 };
    const limiter = tableAttemptLimiter(freshTable(), {
      now: () => new Date(clock),
      terminalRule: { ...rule, freeFailures: 1000 },
      userRule: rule,
    });
    const subject = { objectId: MEGAN.objectId };
    const waitAfterFailure = async () => {
      await limiter.recordFailure('panel-a', subject);
      let waited = 0;
      while (await limiter.mustWait('panel-a', subject)) {
        clock += 1000;
        waited++;
      }
      return waited;
    };
    const waits = [];
    for (let i = 0; i < 6; i++) waits.push(await waitAfterFailure());
    expect(waits).toEqual([0, 0, 10, 20, 40, 40]);
    clock += 101_000; // a quiet spell: the count starts again
    expect(await waitAfterFailure()).toBe(0);
    expect(await limiter.mustWait('panel-b', subject)).toBe(false); // another terminal never waited
  }, 30000);

  it('badge-and-pin: a badge alone or a name and PIN are refused (400); badge with the right PIN is accepted', async () => {
    const { send, calls, pins } = setUp({ signIn: 'badge-and-pin' });
    await pins.setPin(MEGAN, '482916');
    expect(await send({ badge: 'E1003' })).toMatchObject({
      status: 400,
      body: { error: { code: 'badge_and_pin_required' } },
    });
    expect((await send({ userPrincipalName: MEGAN.userPrincipalName, pin: '482916' })).status).toBe(400);
    expect((await send({ badge: 'E1003', pin: '000001' })).status).toBe(401);
    expect(calls.listed.at(-1)).not.toBe(MEGAN.userPrincipalName);
    await send({ badge: 'E1003', pin: '482916' });
    expect(calls.listed.at(-1)).toBe(MEGAN.userPrincipalName);
  }, 30000);

  it('PINs are keyed by object id: a guest (#EXT#) sets and uses one; a renamed user’s old name leads nowhere', async () => {
    const { send, calls, pins } = setUp();
    await pins.setPin(GUEST, '604917');
    await send({ userPrincipalName: GUEST.userPrincipalName.toUpperCase(), pin: '604917' });
    expect(calls.listed.at(-1)).toBe(GUEST.userPrincipalName);
    await pins.setPin({ ...GUEST, userPrincipalName: 'pat@contoso.example' }, '604917');
    expect(await pins.forName(GUEST.userPrincipalName)).toBeUndefined();
    expect((await pins.forName('pat@contoso.example'))?.objectId).toBe(GUEST.objectId);
  }, 30000);

  it('bad input is a clear 4xx at once, before any look-up', async () => {
    const { send, calls } = setUp();
    const refusals: [unknown, number, string][] = [
      [{ userPrincipalName: 'a/b@contoso.example', pin: '482916' }, 400, 'invalid_user_name'],
      [{ badge: '%27 or userPrincipalName eq %27megan@contoso.example' }, 400, 'invalid_badge'],
      [{ badge: "x' or '1' eq '1" }, 400, 'invalid_badge'],
      [{ userPrincipalName: MEGAN.userPrincipalName, pin: '12ab56' }, 400, 'invalid_pin'],
      [{ badge: 'E1003', printerId: PRINTER }, 400, 'invalid_request'],
      ['{not json', 400, 'invalid_json'],
      [JSON.stringify({ badge: 'x'.repeat(5000) }), 413, 'payload_too_large'],
    ];
    for (const [body, status, code] of refusals)
      expect(await send(body)).toMatchObject({ status, body: { error: { code } } });
    expect(calls).toEqual({ verify: 0, lookups: 0, listed: [] });
  });

  it('a malformed terminals secret: 503 for every terminal, one error log, read once while cached', async () => {
    let reads = 0;
    const { send, logs } = setUp({ terminalsJson: async () => (reads++, '[{"id":"panel-a","printerId":') });
    for (let i = 0; i < 3; i++)
      expect(await send({ badge: 'E1003' })).toMatchObject({
        status: 503,
        body: { error: { code: 'terminals_unavailable' } },
      });
    expect(reads).toBe(1);
    const errors = logs.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.line.event)).toEqual(['terminal.configuration-invalid']);
    expect(JSON.stringify(errors)).not.toContain('panel-a'); // what is wrong, never the value

    const wrongShape = setUp({ terminalsJson: async () => JSON.stringify([{ id: 'panel-a', printerId: 'x' }]) });
    expect((await wrongShape.send({ badge: 'E1003' })).status).toBe(503);
    expect(wrongShape.logs.find((l) => l.level === 'error')?.line.detail).toMatch(/^0\.printerId/);
  });

  it('a terminals secret that cannot be read now: 503, and read again next time (not cached)', async () => {
    let reads = 0;
    const { send } = setUp({
      terminalsJson: async () => {
        reads++;
        throw new Error('Key Vault unreachable');
      },
    });
    expect((await send({ badge: 'E1003' })).status).toBe(503);
    expect((await send({ badge: 'E1003' })).status).toBe(503);
    expect(reads).toBe(2);
  });

  it("the app's PIN store (no hashCost given) hashes at PIN_HASH_COST, and checks PINs against that hash", async () => {
    const pins = tablePinStore(freshTable());
    await pins.setPin(MEGAN, '482916');
    const record = (await pins.forUser(MEGAN.objectId))!;
    const expected = scryptSync('482916', record.salt, 32, { N: PIN_HASH_COST, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    expect(record.hash.equals(expected)).toBe(true);
    expect(await pins.verify(record, '482916')).toBe(true);
    expect(await pins.verify(record, '000001')).toBe(false);
    expect(await pins.verify(undefined, '482916')).toBe(false);
  });
});

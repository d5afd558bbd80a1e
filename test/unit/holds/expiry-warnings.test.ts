import { expireHolds } from '../../../src/holds/expire-holds';
import { sendExpiryWarnings, warnFrom } from '../../../src/holds/expiry-warnings';
import { keepLonger } from '../../../src/holds/keep-longer';
import type { HeldJob } from '../../../src/holds/hold-store';
import type { MessageOutbox, UserMessage } from '../../../src/messages/message-model';
import { userMessageSchema } from '../../../src/messages/message-model';
import {
  FakeHoldStore,
  heldJobFor,
  recordingLog,
  releaseWorld,
  storedHold,
  PRINTERS,
  USERS,
} from '../../support/release-fakes';

const { adele: ADELE } = USERS;
const PAGE = 'https://release-gate.example/api/release';
const OPTIONS = { minutes: 60, releasePageUrl: PAGE };
const NOW = new Date('2026-12-03T10:00:00.000Z');
const at = (minutes: number, from = NOW) => new Date(from.getTime() + minutes * 60_000).toISOString();

/** Held for 4 hours, 3½ of them gone: expires in 30 min. */
const hold = (taskId: string, extra: Partial<HeldJob> = {}): HeldJob =>
  storedHold(taskId, ADELE, {
    documentName: 'Budget 2027.xlsx',
    heldAt: at(-210),
    expiresAt: at(30),
    keepUntilMax: at(30 + 240),
    ...extra,
  });

type Posted = Omit<UserMessage, 'version' | 'createdAt'>;
function outbox(options: { wants?: boolean; fails?: boolean } = {}): MessageOutbox & { posted: Posted[] } {
  const posted: Posted[] = [];
  return {
    posted,
    wants: (kind) => (options.wants ?? true) && kind === 'expiry-warning',
    // As the real outbox: never throws; false when the message could not be queued.
    post: async (message) => {
      if (options.fails) return false;
      posted.push(message);
      return true;
    },
  };
}

function setUp(...held: HeldJob[]) {
  const holds = new FakeHoldStore();
  for (const h of held) holds.held.set(h.taskId, structuredClone(h));
  return { holds, log: recordingLog() };
}

describe('sendExpiryWarnings', () => {
  it('warns once per expiresAt with release and keep links (a valid message), again after a keep', async () => {
    const { holds, log } = setUp(hold('t1'), hold('t2', { expiresAt: at(90) }), hold('t3', { expiresAt: at(-1) }));
    const messages = outbox();
    const deps = { holds, log, messages, now: () => NOW };
    expect(await sendExpiryWarnings(deps, OPTIONS)).toEqual({ warned: 1, failed: 0 });
    expect(messages.posted).toEqual([
      {
        kind: 'expiry-warning',
        id: `t1:expiry-warning:${at(30)}`,
        to: { id: ADELE.id, userPrincipalName: ADELE.upn },
        documentName: 'Budget 2027.xlsx',
        expiresAt: at(30),
        releaseUrl: PAGE,
        keepUrl: `${PAGE}?keep=t1`,
        correlationId: 'corr-t1',
      },
    ]);
    expect(
      userMessageSchema.safeParse({ ...messages.posted[0], version: 1, createdAt: NOW.toISOString() }).success,
    ).toBe(true);
    expect(holds.held.get('t1')?.warnedAt).toBe(NOW.toISOString());
    expect(await sendExpiryWarnings(deps, OPTIONS)).toEqual({ warned: 0, failed: 0 });

    // Kept: a new expiry (in 4½ h), warned again when it comes near, with a new message id.
    await keepLonger(deps, { objectId: ADELE.id }, ['t1']);
    const later = new Date(NOW.getTime() + 250 * 60_000);
    expect(await sendExpiryWarnings({ ...deps, now: () => later }, OPTIONS)).toMatchObject({ warned: 1 });
    expect(messages.posted.map((m) => m.id)).toEqual([`t1:expiry-warning:${at(30)}`, `t1:expiry-warning:${at(270)}`]);
  });

  it('no keep link when the policy allows no (more) keeping', async () => {
    const { holds, log } = setUp(hold('t1', { keepUntilMax: undefined }), hold('t2', { keepUntilMax: at(30) }));
    const messages = outbox();
    await sendExpiryWarnings({ holds, log, messages, now: () => NOW }, OPTIONS);
    expect(messages.posted.map((m) => [m.id.split(':')[0], m.keepUrl, m.releaseUrl])).toEqual([
      ['t1', undefined, PAGE],
      ['t2', undefined, PAGE],
    ]);
  });

  it('a short hold is warned half-way through at the earliest', () => {
    const short = hold('t1', { heldAt: at(0), expiresAt: at(30) });
    expect(new Date(warnFrom(short, 60)).toISOString()).toBe(at(15));
    expect(new Date(warnFrom(hold('t2'), 60)).toISOString()).toBe(at(-30));
  });

  it('turned off: nothing is read or posted', async () => {
    const { holds, log } = setUp(hold('t1'));
    const listExpired = jest.spyOn(holds, 'listExpired');
    const messages = outbox({ wants: false });
    expect(await sendExpiryWarnings({ holds, log, messages, now: () => NOW }, OPTIONS)).toEqual({
      warned: 0,
      failed: 0,
    });
    expect(listExpired).not.toHaveBeenCalled();
    expect(holds.held.get('t1')?.warnedAt).toBeUndefined();
  });

  it('a message not queued or a failing store is never thrown; the hold is not marked warned, and the next run warns', async () => {
    const { holds, log } = setUp(hold('t1'));
    expect(
      await sendExpiryWarnings({ holds, log, messages: outbox({ fails: true }), now: () => NOW }, OPTIONS),
    ).toEqual({ warned: 0, failed: 1 });
    expect(holds.held.get('t1')?.warnedAt).toBeUndefined();
    const working = outbox();
    expect(await sendExpiryWarnings({ holds, log, messages: working, now: () => NOW }, OPTIONS)).toEqual({
      warned: 1,
      failed: 0,
    });
    expect(working.posted).toHaveLength(1);
    holds.held.get('t1')!.warnedAt = undefined;
    jest.spyOn(holds, 'update').mockRejectedValueOnce(new Error('table busy'));
    expect(await sendExpiryWarnings({ holds, log, messages: working, now: () => NOW }, OPTIONS)).toEqual({
      warned: 0,
      failed: 1,
    });
    jest.spyOn(holds, 'listExpired').mockRejectedValue(new Error('table down'));
    await expect(sendExpiryWarnings({ holds, log, messages: outbox(), now: () => NOW }, OPTIONS)).resolves.toEqual({
      warned: 0,
      failed: 0,
    });
    expect(log.events.map((e) => e.event)).toEqual([
      'hold.expiry-warned',
      'hold.expiry-warning-failed',
      'hold.expiry-warnings-failed',
    ]);
  });
});

describe('expireHolds with expiry warnings', () => {
  it('expires what is due and warns what is near; a failing warning does not stop expiry', async () => {
    const { graph, holds, audit, tasks } = releaseWorld();
    const due = heldJobFor(graph, ADELE, PRINTERS.queue, { expiresAt: at(-1), heldAt: at(-61) }).held;
    const near = heldJobFor(graph, ADELE, PRINTERS.queue, { expiresAt: at(20), heldAt: at(-100) }).held;
    await holds.add(due);
    await holds.add(near);
    const messages = outbox();
    const deps = { api: graph.api, holds, audit, tasks, log: recordingLog(), now: () => NOW, messages };
    expect(await expireHolds({ ...deps, expiryWarnings: OPTIONS })).toMatchObject({ expired: 1, warned: 1 });
    expect(messages.posted.map((m) => m.id)).toEqual([`${near.taskId}:expiry-warning:${near.expiresAt}`]);

    const failing = outbox({ fails: true });
    const after = new Date(NOW.getTime() + 21 * 60_000);
    expect(await expireHolds({ ...deps, now: () => after, messages: failing, expiryWarnings: OPTIONS })).toMatchObject({
      expired: 1,
      warned: 0,
    });
    expect(await expireHolds({ ...deps })).toMatchObject({ warned: 0 }); // no options: no warnings
  });
});

describe('expireHolds and a keep that lands after the list was read', () => {
  it('a hold kept longer between the expired list and its claim is put back, not ended', async () => {
    const { graph, holds, audit, tasks } = releaseWorld();
    const kept = heldJobFor(graph, ADELE, PRINTERS.queue, { expiresAt: at(-1), heldAt: at(-61) }).held;
    await holds.add(kept);
    // The timer's query saw it due; the owner's keep committed just after.
    const stale = structuredClone(kept);
    jest.spyOn(holds, 'listExpired').mockResolvedValueOnce([stale]);
    await holds.update({ id: ADELE.id }, kept.taskId, (h) => ({ ...h, expiresAt: at(60) }));
    const deps = { api: graph.api, holds, audit, tasks, log: recordingLog(), now: () => NOW };
    expect(await expireHolds(deps)).toMatchObject({ expired: 0, denied: 0, released: 0 });
    expect((await holds.get({ id: ADELE.id }, kept.taskId))?.expiresAt).toBe(at(60));
    expect(graph.calls.map((c) => c.method)).not.toEqual(expect.arrayContaining(['abortJob']));
    expect(graph.calls.map((c) => c.method)).not.toEqual(expect.arrayContaining(['setTaskState']));
  });
});

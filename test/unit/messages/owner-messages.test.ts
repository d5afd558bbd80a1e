import type { MessageOutbox, UserMessage } from '../../../src/messages/message-model';
import type { Decision } from '../../../src/policy/decision';
import { processTask } from '../../../src/processor/process-task';
import { notifyOwner } from '../../../src/processor/notify-owner';
import { tellHoldOwner } from '../../../src/holds/hold-messages';
import { always, processorHarness } from '../../support/processor-harness';
import { recordingLog } from '../../support/release-fakes';

type Posted = Omit<UserMessage, 'version' | 'createdAt'>;

function outbox(kinds: string[], fail = false): MessageOutbox & { posted: Posted[] } {
  const posted: Posted[] = [];
  return {
    posted,
    wants: (kind) => kinds.includes(kind),
    async post(message) {
      if (fail) throw new Error('a broken outbox');
      posted.push(message);
      return true;
    },
  };
}

describe('messages to a job’s owner from the processor', () => {
  it('a deny posts `denied` with the reason, after the job was aborted and the audit written', async () => {
    const deny: Decision = { action: 'deny', rule: 'no colour', reason: 'Colour is for staff.' };
    const h = processorHarness({ policy: always(deny) });
    const messages = outbox(['denied']);
    const { task, message } = h.print();
    const result = await processTask(message(), { ...h.deps, messages });
    expect(result).toMatchObject({ outcome: 'denied' });
    expect(messages.posted).toEqual([
      expect.objectContaining({
        kind: 'denied',
        id: `${task.id}:denied`,
        to: { id: '0e000000-0000-4000-8000-0000000000a1', userPrincipalName: 'adele@contoso.example' },
        documentName: 'Report.pdf',
        reason: 'Colour is for staff.',
      }),
    ]);
  });

  it('a hold posts `held` with its expiry and the release page', async () => {
    const hold: Decision = { action: 'hold', rule: 'pull', expiresInMinutes: 60, onExpiry: 'deny' };
    const h = processorHarness({ policy: always(hold) });
    const messages = outbox(['held']);
    const { task, message } = h.print();
    await processTask(message(), { ...h.deps, messages, releasePageUrl: 'https://rg.example/api/release' });
    const held = await h.deps.holds.get('adele@contoso.example', task.id);
    expect(messages.posted).toEqual([
      expect.objectContaining({
        kind: 'held',
        expiresAt: held!.expiresAt,
        releaseUrl: 'https://rg.example/api/release',
      }),
    ]);
  });

  it('posts nothing for a kind that is off, and a failing outbox changes no decision', async () => {
    const deny: Decision = { action: 'deny', rule: 'no', reason: 'No.' };
    const h = processorHarness({ policy: always(deny) });
    const off = outbox(['held']);
    await processTask(h.print().message(), { ...h.deps, messages: off });
    expect(off.posted).toEqual([]);
    const broken = outbox(['denied'], true);
    await expect(processTask(h.print().message(), { ...h.deps, messages: broken })).resolves.toMatchObject({
      outcome: 'denied',
    });
    expect(h.eventsNamed('message.not-queued')).toHaveLength(1);
  });
});

describe('quota messages', () => {
  const charged = (used: number, limit = 100, topUp = 0) => {
    const h = processorHarness();
    const messages = outbox(['quota']);
    const usageStore = {
      read: async () => [
        { userKey: 'u', quota: 'Students', periodKey: '2026-12', confirmed: used, reserved: 0, topUp },
      ],
    } as unknown as NonNullable<Parameters<typeof notifyOwner>[0]['deps']['usageStore']>;
    const { job, message } = h.print();
    const run = {
      message: message(),
      deps: { ...h.deps, messages, usageStore },
      api: h.api,
      calls: () => 0,
      log: h.deps.log,
      now: () => new Date(),
    };
    const record = {
      decision: { action: 'release', rule: 'ok' },
      quotaCharges: {
        userKey: 'u',
        jobKey: 'k',
        items: [
          { quota: 'Students', periodKey: '2026-12', periodLabel: 'December 2026', measure: 'pages', amount: 5, limit },
        ],
      },
    } as unknown as Parameters<typeof notifyOwner>[1];
    return { run, record, job, messages };
  };

  it.each([
    [79, undefined],
    [80, 'near'],
    [100, 'reached'],
    [110, 'reached'],
  ])('used %i of 100: %s', async (used, state) => {
    const { run, record, job, messages } = charged(used);
    await notifyOwner(run, record, 'released', job);
    expect(messages.posted.map((m) => m.quota?.state)).toEqual(state ? [state] : []);
    if (state) expect(messages.posted[0]!.id).toBe(`quota:u:Students:2026-12:${state}`);
  });

  it('counts top-ups in the limit', async () => {
    const { run, record, job, messages } = charged(90, 100, 50);
    await notifyOwner(run, record, 'released', job);
    expect(messages.posted).toEqual([]);
  });
});

describe('hold messages', () => {
  const held = {
    taskId: 't1',
    ownerUpn: 'adele@contoso.example',
    ownerId: 'a1',
    documentName: 'Plan.pdf',
    expiresAt: '2026-12-03T18:00:00Z',
    correlationId: 'c',
  } as unknown as Parameters<typeof tellHoldOwner>[1];

  it('tells the owner a hold expired or was deleted, once per kind, and never throws', async () => {
    const messages = outbox(['expired', 'deleted']);
    const log = recordingLog();
    await tellHoldOwner(messages, held, 'expired', 'Expired.', log);
    await tellHoldOwner(messages, held, 'deleted', 'Gone.', log);
    expect(messages.posted.map((m) => [m.kind, m.id, m.to, m.reason])).toEqual([
      ['expired', 't1:expired', { id: 'a1', userPrincipalName: 'adele@contoso.example' }, 'Expired.'],
      ['deleted', 't1:deleted', { id: 'a1', userPrincipalName: 'adele@contoso.example' }, 'Gone.'],
    ]);
    await expect(tellHoldOwner(outbox(['expired'], true), held, 'expired', 'x', log)).resolves.toBeUndefined();
    expect(log.events.map((e) => e.event)).toEqual(['message.not-queued']);
    await tellHoldOwner(outbox([]), held, 'expired', 'x', log);
  });
});

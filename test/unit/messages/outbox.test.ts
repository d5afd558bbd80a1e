import { messageOutbox, releasePageUrl } from '../../../src/messages/outbox';
import type { UserMessage } from '../../../src/messages/message-model';
import type { MessageQueue } from '../../../src/queue/task-queue';
import { recordingLog } from '../../support/release-fakes';

const message = {
  kind: 'denied' as const,
  id: 'task-1:denied',
  to: { userPrincipalName: 'adele@contoso.example' },
  documentName: 'Salaries 2027.pdf',
  reason: 'Colour printing is for staff.',
  correlationId: 'c-1',
};

function queue(fail?: Error): MessageQueue<UserMessage> & { sent: UserMessage[] } {
  const sent: UserMessage[] = [];
  return {
    sent,
    async send(messages) {
      if (fail) throw fail;
      sent.push(...messages);
    },
  };
}

describe('the message outbox', () => {
  const now = () => new Date('2026-12-03T06:00:00Z');

  it('queues only the kinds the admin turned on, versioned and dated', async () => {
    const q = queue();
    const outbox = messageOutbox({ queue: q, kinds: ['denied'], log: recordingLog(), now });
    expect(outbox.wants('denied')).toBe(true);
    expect(outbox.wants('held')).toBe(false);
    await outbox.post(message);
    await outbox.post({ ...message, kind: 'held', id: 'task-1:held' });
    expect(q.sent).toEqual([{ ...message, version: 1, createdAt: '2026-12-03T06:00:00.000Z' }]);
  });

  it('queues nothing when no kind is on', async () => {
    const q = queue();
    const outbox = messageOutbox({ queue: q, kinds: undefined, log: recordingLog() });
    await expect(outbox.post(message)).resolves.toBe(false);
    expect(q.sent).toEqual([]);
  });

  it('never throws: a storage failure or an invalid message is logged (without the document name)', async () => {
    const log = recordingLog();
    const outbox = messageOutbox({ queue: queue(new Error('storage down')), kinds: ['denied'], log });
    await expect(outbox.post(message)).resolves.toBe(false);
    await expect(messageOutbox({ queue: queue(), kinds: ['denied'], log }).post({ ...message, id: '' })).resolves.toBe(
      false,
    );
    // A document name past the message's limit is shortened, not a reason to lose the message.
    const q = queue();
    const long = { ...message, documentName: 'x'.repeat(2000) };
    await expect(messageOutbox({ queue: q, kinds: ['denied'], log }).post(long)).resolves.toBe(true);
    expect((q.sent[0] as { documentName: string }).documentName).toHaveLength(512);
    expect(log.events.map((e) => [e.event, e.fields.messageId])).toEqual([
      ['message.not-queued', 'task-1:denied'],
      ['message.not-queued', ''],
    ]);
    expect(JSON.stringify(log.events)).not.toContain('Salaries');
  });
});

describe('releasePageUrl', () => {
  it('is the setting, or /api/release on the notification URL’s host', () => {
    expect(
      releasePageUrl({
        RELEASE_GATE_RELEASE_PAGE_URL: 'https://print.contoso.example/release',
        RELEASE_GATE_NOTIFICATION_URL: 'https://rg.azurewebsites.net/api/notifications',
      }),
    ).toBe('https://print.contoso.example/release');
    expect(
      releasePageUrl({
        RELEASE_GATE_RELEASE_PAGE_URL: undefined,
        RELEASE_GATE_NOTIFICATION_URL: 'https://rg.azurewebsites.net/api/notifications',
      }),
    ).toBe('https://rg.azurewebsites.net/api/release');
    expect(
      releasePageUrl({ RELEASE_GATE_RELEASE_PAGE_URL: undefined, RELEASE_GATE_NOTIFICATION_URL: undefined }),
    ).toBeUndefined();
  });
});

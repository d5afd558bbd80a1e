import { sendUserMessage } from '../../../src/messages/send-message';
import { memorySentMessages } from '../../../src/messages/sent-messages';
import type { MailCalls, OutgoingMail } from '../../../src/graph/mail-api';
import type { UserMessage } from '../../../src/messages/message-model';
import { graphError } from '../../support/fake-print-api';
import { recordingLog } from '../../support/release-fakes';

const message: UserMessage = {
  version: 1,
  kind: 'denied',
  id: 'task-1:denied',
  to: { id: 'u-megan', userPrincipalName: 'megan@contoso.example' },
  documentName: 'Report.pdf',
  reason: 'Not on this printer.',
  correlationId: 'c-1',
  createdAt: '2026-12-03T06:00:00Z',
};

function mail(options: { recipient?: Error | { mail?: string | null }; send?: Error[] } = {}) {
  const sent: { sender: string; mail: OutgoingMail }[] = [];
  const failures = [...(options.send ?? [])];
  const api: MailCalls & { sent: typeof sent } = {
    sent,
    async getRecipient(id) {
      if (options.recipient instanceof Error) throw options.recipient;
      return {
        id,
        displayName: 'Megan Bowen',
        mail: 'megan@contoso.example',
        preferredLanguage: 'de-DE',
        ...(options.recipient ?? {}),
      };
    },
    async sendMail(sender, m) {
      const failure = failures.shift();
      if (failure) throw failure;
      sent.push({ sender, mail: m });
    },
  };
  return api;
}

const deps = (api: ReturnType<typeof mail>, sent = memorySentMessages()) => ({
  mail: api,
  sent,
  sender: 'releasegate@contoso.example',
  log: recordingLog(),
});

describe('sending a user message', () => {
  it('sends in the recipient’s language from the sender mailbox, once', async () => {
    const api = mail();
    const d = deps(api);
    await expect(sendUserMessage(message, d)).resolves.toEqual({ status: 'sent', language: 'de' });
    await expect(sendUserMessage(message, d)).resolves.toEqual({ status: 'already-sent' });
    expect(api.sent).toHaveLength(1);
    expect(api.sent[0]!.sender).toBe('releasegate@contoso.example');
    expect(api.sent[0]!.mail.to).toBe('megan@contoso.example');
    expect(api.sent[0]!.mail.subject).toContain('Nicht gedruckt');
  });

  it('drops a recipient without a mailbox or not in the directory (not retried)', async () => {
    await expect(sendUserMessage(message, deps(mail({ recipient: { mail: null } })))).resolves.toEqual({
      status: 'dropped',
      why: 'no-mailbox',
    });
    await expect(sendUserMessage(message, deps(mail({ recipient: graphError(404) })))).resolves.toMatchObject({
      status: 'dropped',
    });
  });

  it('throws transient and permission failures, so the queue retries and then parks the message', async () => {
    const sent = memorySentMessages();
    for (const failure of [graphError(503), graphError(429, { retryAfter: '5' }), graphError(403)]) {
      await expect(sendUserMessage(message, deps(mail({ send: [failure] }), sent))).rejects.toBe(failure);
    }
    await expect(sendUserMessage(message, deps(mail({ recipient: graphError(500) }), sent))).rejects.toThrow();
    expect(sent.ids.size).toBe(0);
    // The redelivery after a transient failure sends it.
    await expect(sendUserMessage(message, deps(mail(), sent))).resolves.toMatchObject({ status: 'sent' });
  });

  it('drops a message Graph refuses as malformed (400): another try gets the same answer', async () => {
    await expect(
      sendUserMessage(message, deps(mail({ send: [graphError(400, { code: 'ErrorInvalidRecipients' })] }))),
    ).resolves.toEqual({ status: 'dropped', why: 'refused-recipient' });
  });

  it('throws on an unreadable message (parked in the poison queue)', async () => {
    await expect(sendUserMessage({ kind: 'nonsense' }, deps(mail()))).rejects.toThrow();
  });
});

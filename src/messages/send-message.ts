import type { MailCalls } from '../graph/mail-api';
import { classifyGraphError } from '../graph/graph-errors';
import { describeError, type Log } from '../observability/log';
import { userMessageSchema, type UserMessage } from './message-model';
import type { SentMessages } from './sent-messages';
import { renderMessage } from './templates';

export interface SendMessageDependencies {
  mail: MailCalls;
  sent: SentMessages;
  /** RELEASE_GATE_MESSAGE_SENDER: the one mailbox messages are sent from. */
  sender: string;
  log: Log;
  timeZone?: string;
  now?: () => Date;
}

export type SendResult =
  | { status: 'sent'; language: string }
  | { status: 'already-sent' }
  | { status: 'dropped'; why: 'no-recipient' | 'no-mailbox' | 'refused-recipient' };

/**
 * Sends one queued message: looks up the recipient (address, language), renders the template in
 * their language and sends it from the sender mailbox, then records its id as sent.
 *
 * Duplicates against loss: the id is checked before sending and recorded after. A worker that dies
 * between Graph's 202 and the record sends the message once more on redelivery; recording first
 * would instead lose the message for good when the send then fails. Graph's sendMail has no
 * idempotency key, so one of the two must be accepted: a rare second copy of a courtesy message is
 * the lesser harm.
 *
 * A recipient who does not exist or has no mailbox is logged and dropped (retrying cannot help).
 * Anything else (throttling, Graph or storage outages, a refused sender) is thrown: the queue
 * retries it, and after host.json's maxDequeueCount it is parked in `<queue>-poison` for an admin.
 */
export async function sendUserMessage(raw: unknown, deps: SendMessageDependencies): Promise<SendResult> {
  // An unreadable message throws: retried, then parked in the poison queue where an admin sees it.
  const message: UserMessage = userMessageSchema.parse(typeof raw === 'string' ? JSON.parse(raw) : raw);
  const log = deps.log.with({ messageId: message.id, kind: message.kind, correlationId: message.correlationId });
  if (await deps.sent.wasSent(message.id)) {
    log.info('message.already-sent');
    return { status: 'already-sent' };
  }
  const who = message.to.id ?? message.to.userPrincipalName;
  if (!who) {
    log.warn('message.dropped', { why: 'no-recipient' });
    return { status: 'dropped', why: 'no-recipient' };
  }
  let recipient;
  try {
    recipient = await deps.mail.getRecipient(who);
  } catch (error) {
    if (classifyGraphError(error).kind !== 'not-found') throw error;
    log.warn('message.dropped', { why: 'no-recipient', ...describeError(error) });
    return { status: 'dropped', why: 'no-recipient' };
  }
  if (!recipient.mail) {
    log.warn('message.dropped', { why: 'no-mailbox' });
    return { status: 'dropped', why: 'no-mailbox' };
  }
  const rendered = renderMessage(message, recipient, { timeZone: deps.timeZone });
  try {
    await deps.mail.sendMail(deps.sender, { to: recipient.mail, subject: rendered.subject, html: rendered.html });
  } catch (error) {
    const failure = classifyGraphError(error);
    // 400 (ErrorInvalidRecipients and the like): this message can never be sent; a sender refused
    // (403, no Mail.Send for that mailbox) or missing (404) is the admin's to fix: retried, then parked.
    if (failure.kind === 'conflict' && failure.status === 400) {
      log.error('message.dropped', { why: 'refused-recipient', ...describeError(error) });
      return { status: 'dropped', why: 'refused-recipient' };
    }
    if (failure.kind === 'forbidden' || failure.kind === 'not-found')
      log.error('message.sender-refused', { sender: deps.sender, ...describeError(error) });
    throw error;
  }
  await deps.sent.markSent(message.id, (deps.now ?? (() => new Date()))(), message.kind);
  log.info('message.sent', { language: rendered.language });
  return { status: 'sent', language: rendered.language };
}

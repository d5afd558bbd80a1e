import type { Settings } from '../config/settings';
import { describeError, type Log } from '../observability/log';
import type { MessageQueue } from '../queue/task-queue';
import { userMessageSchema, type MessageKind, type MessageOutbox, type UserMessage } from './message-model';

/**
 * The outbox the app posts user messages to: a message of a kind the admin turned on
 * (RELEASE_GATE_MESSAGES) is checked against the schema and queued (RELEASE_GATE_MESSAGE_QUEUE) for
 * the send-message function; any other kind is dropped at once. It never throws: a message is a
 * courtesy, and a storage failure here must not delay or change the print decision that posted it.
 */
export function messageOutbox(input: {
  queue: MessageQueue<UserMessage>;
  kinds: readonly MessageKind[] | undefined;
  log: Log;
  now?: () => Date;
}): MessageOutbox {
  const kinds = new Set(input.kinds ?? []);
  const now = input.now ?? (() => new Date());
  return {
    wants: (kind) => kinds.has(kind),
    async post(message) {
      if (!kinds.has(message.kind)) return false;
      try {
        const full = userMessageSchema.parse({
          ...message,
          // A very long name is shortened, never a reason to lose the message.
          ...(message.documentName ? { documentName: message.documentName.slice(0, 512) } : {}),
          ...(message.printerName ? { printerName: message.printerName.slice(0, 256) } : {}),
          ...(message.reason ? { reason: message.reason.slice(0, 500) } : {}),
          version: 1,
          createdAt: now().toISOString(),
        });
        await input.queue.send([full], AbortSignal.timeout(5000));
        return true;
      } catch (error) {
        // The message's id and kind only: its fields name the user's document.
        input.log.warn('message.not-queued', { kind: message.kind, messageId: message.id, ...describeError(error) });
        return false;
      }
    },
  };
}

/**
 * Where users release their held jobs: RELEASE_GATE_RELEASE_PAGE_URL, or /api/release on the host
 * of RELEASE_GATE_NOTIFICATION_URL (the app's own address). A "keep longer" link is
 * `<this>?keep=<taskId>`.
 */
export function releasePageUrl(
  settings: Pick<Settings, 'RELEASE_GATE_RELEASE_PAGE_URL' | 'RELEASE_GATE_NOTIFICATION_URL'>,
): string | undefined {
  if (settings.RELEASE_GATE_RELEASE_PAGE_URL) return settings.RELEASE_GATE_RELEASE_PAGE_URL;
  if (!settings.RELEASE_GATE_NOTIFICATION_URL) return undefined;
  return new URL('/api/release', settings.RELEASE_GATE_NOTIFICATION_URL).toString();
}

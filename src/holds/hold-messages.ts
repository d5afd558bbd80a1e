import type { MessageKind, MessageOutbox } from '../messages/message-model';
import { describeError, type Log } from '../observability/log';
import type { HeldJob } from './hold-store';

/**
 * Tells a held job's owner how its hold ended (`expired`, or `deleted` when Universal Print deleted
 * the job), once the end is recorded. Only for kinds the admin turned on; never throws, so a
 * message cannot change how the hold ended.
 */
export async function tellHoldOwner(
  messages: MessageOutbox | undefined,
  held: HeldJob,
  kind: Extract<MessageKind, 'expired' | 'deleted'>,
  reason: string,
  log: Log,
): Promise<void> {
  if (!messages?.wants(kind)) return;
  try {
    await messages.post({
      kind,
      id: `${held.taskId}:${kind}`,
      to: { ...(held.ownerId ? { id: held.ownerId } : {}), userPrincipalName: held.ownerUpn },
      ...(held.documentName ? { documentName: held.documentName.slice(0, 512) } : {}),
      reason: reason.slice(0, 500),
      ...(held.expiresAt ? { expiresAt: held.expiresAt } : {}),
      correlationId: held.correlationId,
    });
  } catch (error) {
    log.warn('message.not-queued', { kind, ...describeError(error) });
  }
}

import { z } from 'zod';
import { MESSAGE_KIND_NAMES, type MessageKindName } from '../config/message-kinds';

export { MESSAGE_KIND_NAMES };
export type MessageKind = MessageKindName;

/**
 * A message to a user about one of their print jobs, as queued (RELEASE_GATE_MESSAGE_QUEUE) and sent
 * by the message function. It carries only what the template needs: the document's name, never its
 * content; the user's address and language are looked up when it is sent.
 */
export const userMessageSchema = z.strictObject({
  version: z.literal(1),
  kind: z.enum(MESSAGE_KIND_NAMES),
  /** Unique per event (e.g. `<taskId>:held`): a redelivered message with a sent id is not sent again. */
  id: z.string().min(1).max(200),
  to: z.strictObject({
    id: z.string().max(128).optional(),
    userPrincipalName: z.string().max(256).optional(),
  }),
  documentName: z.string().max(512).optional(),
  printerName: z.string().max(256).optional(),
  /** denied: the policy's reason; deleted/expired: what happened. */
  reason: z.string().max(500).optional(),
  /** held, expiry-warning: when the hold ends. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  /** The release page (held) and the page's "keep longer" link (expiry-warning). */
  releaseUrl: z.url().optional(),
  keepUrl: z.url().optional(),
  /** quota: where the user stands. */
  quota: z
    .strictObject({
      name: z.string().max(100),
      state: z.enum(['near', 'reached']),
      used: z.number(),
      limit: z.number(),
      unit: z.string().max(40),
      period: z.string().max(100).optional(),
    })
    .optional(),
  correlationId: z.string().min(1).max(128),
  createdAt: z.iso.datetime({ offset: true }),
});

export type UserMessage = z.infer<typeof userMessageSchema>;

/**
 * Where code that ends or holds a job posts a message. It queues the message when its kind is one
 * the admin turned on (RELEASE_GATE_MESSAGES) and does nothing otherwise. It never throws: a message
 * that cannot be queued is logged (`message.not-queued`) and the print decision goes on unchanged.
 */
export interface MessageOutbox {
  /** True when the message was queued; false when its kind is off or it could not be queued (logged). */
  post(message: Omit<UserMessage, 'version' | 'createdAt'>): Promise<boolean>;
  /** Whether this kind of message is turned on (callers skip work to build one that is not). */
  wants(kind: MessageKind): boolean;
}

/** The outbox when no message kind is turned on. */
export const noMessages: MessageOutbox = {
  post: async () => false,
  wants: () => false,
};

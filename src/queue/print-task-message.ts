import { z } from 'zod';
import { GUID_PATTERN, SAFE_SEGMENT_PATTERN } from '../graph/ids';

/**
 * The message the webhook (and later the reconciler) puts on the task queue, one per print task.
 * It carries everything the processor needs to act without re-reading the notification.
 * Version it: messages outlive deployments.
 */
const safeSegment = z.string().regex(SAFE_SEGMENT_PATTERN);
const guid = z.string().regex(GUID_PATTERN);

export const printTaskMessageSchema = z.object({
  version: z.literal(1),
  taskDefinitionId: guid,
  taskId: safeSegment,
  /** From the notification's `resourceData.parentUrl`; absent means the processor reads the task first. */
  printerId: guid.optional(),
  jobId: safeSegment.optional(),
  subscriptionId: z.string().max(128).optional(),
  tenantId: guid,
  /** When Release Gate first learned of the task (ISO 8601). */
  receivedAt: z.iso.datetime({ offset: true }),
  /** Follows the task from notification to decision in every log line. */
  correlationId: z.string().min(1).max(128),
  source: z.enum(['notification', 'reconciler']),
  /** How often the processor has put this task back because Graph asked for a long pause. */
  deferrals: z.number().int().min(0).max(100).optional(),
});

export type PrintTaskMessage = z.infer<typeof printTaskMessageSchema>;

/**
 * Queue messages are base64-encoded JSON: the Functions queue trigger decodes base64 by default
 * (host.json `messageEncoding`), and the storage SDK does not encode for us.
 */
export function encodeQueueMessage(message: unknown): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

/** Inverse of {@link encodeQueueMessage}, for tools that read the queue directly. */
export function decodeQueueMessage(text: string): unknown {
  return JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
}

/** Validates a message taken off the queue; the trigger hands us already-decoded JSON. */
export function parsePrintTaskMessage(value: unknown): PrintTaskMessage {
  return printTaskMessageSchema.parse(value);
}

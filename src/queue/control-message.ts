import { z } from 'zod';

/** Plumbing work queued by the lifecycle URL and done by the control function (with Graph). */
export const controlMessageSchema = z.object({
  version: z.literal(1),
  kind: z.enum(['renew-subscription', 'recreate-subscription', 'reconcile']),
  subscriptionId: z.string().max(128).optional(),
  correlationId: z.string().min(1).max(128),
  receivedAt: z.iso.datetime({ offset: true }),
});

export type ControlMessage = z.infer<typeof controlMessageSchema>;
export type ControlKind = ControlMessage['kind'];

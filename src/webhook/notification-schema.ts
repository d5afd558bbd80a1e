import { z } from 'zod';

/**
 * Graph's change notification collection, as it arrives at the webhook. Unknown fields are allowed
 * (Graph adds fields over time); the fields we read are typed and bounded so a hostile body cannot
 * smuggle huge strings into logs or queue messages.
 */
const shortText = z.string().max(1024);

export const changeNotificationSchema = z.object({
  id: shortText.optional(),
  subscriptionId: z.string().min(1).max(128),
  subscriptionExpirationDateTime: shortText.optional(),
  tenantId: z.string().min(1).max(128),
  clientState: z.string().max(1024).optional(),
  changeType: shortText.optional(),
  resource: shortText.optional(),
  lifecycleEvent: shortText.optional(),
  resourceData: z
    .object({
      '@odata.type': shortText.optional(),
      '@odata.id': shortText.optional(),
      id: shortText.optional(),
      parentUrl: z.string().max(2048).optional(),
    })
    .optional(),
});

export const changeNotificationCollectionSchema = z.object({
  value: z.array(changeNotificationSchema).min(1, 'must hold at least one notification'),
  validationTokens: z.array(z.string()).optional(),
});

export type ChangeNotification = z.infer<typeof changeNotificationSchema>;
export type ChangeNotificationCollection = z.infer<typeof changeNotificationCollectionSchema>;

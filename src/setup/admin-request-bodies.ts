import { z } from 'zod';

/** What the set-up CLI sends to the app's admin routes (functions/setup.ts). */
export const TRIGGER_RECORD_BODY = z.object({ definitionId: z.string().min(1) });

export const PULL_QUEUE_ATTRIBUTES_BODY = z.object({
  printerId: z.string().min(1),
  dryRun: z.boolean().optional(),
});

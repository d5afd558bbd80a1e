import type { PrintApi } from '../graph/print-api';
import type { PrintTaskTrigger } from '../graph/print-schemas';

export type TriggerOutcome =
  | { status: 'created' | 'exists'; trigger: PrintTaskTrigger }
  /** The printer already has another definition's trigger: reported, never overwritten. */
  | { status: 'conflict'; trigger: PrintTaskTrigger };

/**
 * Puts our trigger on a printer (one trigger per printer in Universal Print). Needs a delegated
 * token of a Printer Administrator signed in to *our* app registration.
 */
export async function ensureTaskTrigger(
  delegatedApi: PrintApi,
  printerId: string,
  definition: { id: string; url: string },
): Promise<TriggerOutcome> {
  const triggers = await delegatedApi.listTaskTriggers(printerId);
  const ours = triggers.find((t) => t.definition?.id?.toLowerCase() === definition.id.toLowerCase());
  if (ours) return { status: 'exists', trigger: ours };
  const other = triggers[0];
  if (other) return { status: 'conflict', trigger: other };
  return { status: 'created', trigger: await delegatedApi.createTaskTrigger(printerId, definition.url) };
}

import type { PrintApi } from '../../src/graph/print-api';
import type { PrintTaskTrigger } from '../../src/graph/print-schemas';
import { isRecorded, type TriggerRecord } from '../../src/setup/trigger-record';
import { errorText } from '../../src/observability/log';

export type TriggerOutcome =
  | { status: 'created' | 'exists'; trigger: PrintTaskTrigger }
  /** The printer already has a trigger we did not record (another app's, or unknown): reported, never touched. */
  | { status: 'conflict'; trigger: PrintTaskTrigger };

/**
 * Puts our trigger on a printer (one trigger per printer in Universal Print) and records it. Needs a delegated
 * token of a Printer Administrator signed in to *our* app registration. Ours means "in the record": Graph's
 * trigger listing does not say which definition a trigger belongs to.
 */
export async function ensureTaskTrigger(
  delegatedApi: Pick<PrintApi, 'listTaskTriggers' | 'createTaskTrigger' | 'deleteTaskTrigger'>,
  printerId: string,
  definition: { id: string; url: string },
  record: TriggerRecord,
): Promise<TriggerOutcome> {
  const [triggers, recorded] = await Promise.all([delegatedApi.listTaskTriggers(printerId), record.list()]);
  const ours = triggers.find((t) => isRecorded(recorded, printerId, t.id));
  if (ours) return { status: 'exists', trigger: ours };
  const other = triggers[0];
  if (other) return { status: 'conflict', trigger: other };
  return { status: 'created', trigger: await createRecordedTrigger(delegatedApi, printerId, definition, record) };
}

/**
 * Creates the trigger, then records it. A trigger we could not record would look like another app's forever
 * after, so it is removed again and the failure reported: running set-up again then starts clean.
 */
export async function createRecordedTrigger(
  delegatedApi: Pick<PrintApi, 'createTaskTrigger' | 'deleteTaskTrigger'>,
  printerId: string,
  definition: { id: string; url: string },
  record: TriggerRecord,
): Promise<PrintTaskTrigger> {
  const trigger = await delegatedApi.createTaskTrigger(printerId, definition.url);
  try {
    await record.add({ printerId, triggerId: trigger.id, definitionId: definition.id });
  } catch (error) {
    const undone = await delegatedApi.deleteTaskTrigger(printerId, trigger.id).then(
      () => 'removed it again',
      () => `could not remove it either: delete trigger ${trigger.id} in the Universal Print portal`,
    );
    throw new Error(
      `Created a task trigger on printer ${printerId} but could not record it (${errorText(error)}); ${undone}. ` +
        'Run set-up again.',
    );
  }
  return trigger;
}

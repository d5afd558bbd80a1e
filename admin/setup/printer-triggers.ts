import { permissionsFor } from '../../src/graph/app-permissions';
import { classifyGraphError } from '../../src/graph/graph-errors';
import type { PrintApi } from '../../src/graph/print-api';
import { createRecordedTrigger } from './ensure-task-trigger';
import { isRecorded, type RecordedTrigger, type TriggerRecord } from '../../src/setup/trigger-record';

export interface PrinterTriggerState {
  printerId: string;
  displayName: string;
  /** ours: in our trigger record; other: a trigger we did not record (another app's, or unknown); none. */
  trigger: 'ours' | 'other' | 'none';
  triggerId?: string;
}

export interface TriggerOwnership {
  printers: PrinterTriggerState[];
  /** Recorded triggers that are no longer on their printer (removed in the portal, or the printer is gone). */
  staleRecords: RecordedTrigger[];
}

export type TriggerChange =
  | { printerId: string; displayName: string; change: 'create' | 'remove' | 'keep' }
  | { printerId: string; displayName: string; change: 'conflict'; detail: string };

/**
 * Whose trigger each printer has, by our trigger record (never by the definition Graph may or may not expand).
 * For set-up and the doctor; needs the signed-in Printer Administrator's token. `printerIds` limits the report
 * to those printers (the stale records are still those of every printer).
 */
export async function listTriggerOwnership(
  admin: Pick<PrintApi, 'listPrinters' | 'listTaskTriggers'>,
  record: Pick<TriggerRecord, 'list'>,
  options: { printerIds?: readonly string[] } = {},
): Promise<TriggerOwnership> {
  const [printers, recorded] = await Promise.all([admin.listPrinters(), record.list()]);
  const wanted = options.printerIds?.map((id) => id.toLowerCase());
  const states: PrinterTriggerState[] = [];
  const seen = new Set<string>();
  for (const printer of printers) {
    const [trigger] = await admin.listTaskTriggers(printer.id);
    if (trigger) seen.add(`${printer.id.toLowerCase()}/${trigger.id}`);
    if (wanted && !wanted.includes(printer.id.toLowerCase())) continue;
    states.push({
      printerId: printer.id,
      displayName: printer.displayName ?? printer.id,
      trigger: !trigger ? 'none' : isRecorded(recorded, printer.id, trigger.id) ? 'ours' : 'other',
      ...(trigger ? { triggerId: trigger.id } : {}),
    });
  }
  const staleRecords = recorded.filter((r) => !seen.has(`${r.printerId.toLowerCase()}/${r.triggerId}`));
  return { printers: states, staleRecords };
}

/** What set-up would change: triggers on the chosen printers, or (teardown) off every printer. */
export function planTriggers(
  states: PrinterTriggerState[],
  chosen: (state: PrinterTriggerState) => boolean,
  teardown: boolean,
): TriggerChange[] {
  return states.map((state) => {
    const base = { printerId: state.printerId, displayName: state.displayName };
    if (teardown) return { ...base, change: state.trigger === 'ours' ? 'remove' : 'keep' };
    if (!chosen(state)) return { ...base, change: 'keep' };
    if (state.trigger === 'other')
      return {
        ...base,
        change: 'conflict',
        detail:
          "another app's or an unknown task trigger is on this printer (not in Release Gate's record); remove it first",
      };
    return { ...base, change: state.trigger === 'ours' ? 'keep' : 'create' };
  });
}

/** Explains a Graph refusal during set-up in terms an admin can act on. */
export function setupHint(error: unknown): string {
  const failure = classifyGraphError(error);
  if (failure.kind === 'forbidden') {
    const names = (kind: 'application' | 'delegated') =>
      permissionsFor(kind)
        .filter((p) => p.kind === 'application' || p.tool === 'set-up')
        .map((p) => p.name)
        .join(', ');
    return (
      `${failure.message}\nSign in as a Printer Administrator, and make sure the app registration has admin consent for the ` +
      `delegated ${names('delegated').replace(/, ([^,]*)$/, ' and $1')} permissions (and the application permissions ${names('application')}).`
    );
  }
  return failure.message;
}

/** Applies a plan; returns what was done. Every trigger created is recorded; every one removed is forgotten. */
export async function applyTriggerPlan(
  admin: Pick<PrintApi, 'createTaskTrigger' | 'deleteTaskTrigger'>,
  plan: TriggerChange[],
  states: PrinterTriggerState[],
  definition: { id: string; url: string },
  record: TriggerRecord,
) {
  const done: string[] = [];
  for (const step of plan) {
    if (step.change === 'create') {
      await createRecordedTrigger(admin, step.printerId, definition, record);
      done.push(`created a trigger on "${step.displayName}"`);
    } else if (step.change === 'remove') {
      const triggerId = states.find((s) => s.printerId === step.printerId)?.triggerId;
      if (triggerId) {
        await deleteIfPresent(admin, step.printerId, triggerId);
        await record.remove(step.printerId, triggerId);
      }
      done.push(`removed the trigger from "${step.displayName}"`);
    }
  }
  return done;
}

/** A trigger someone already removed is as good as removed. */
async function deleteIfPresent(admin: Pick<PrintApi, 'deleteTaskTrigger'>, printerId: string, triggerId: string) {
  try {
    await admin.deleteTaskTrigger(printerId, triggerId);
  } catch (error) {
    if (classifyGraphError(error).kind !== 'not-found') throw error;
  }
}

/**
 * Records the trigger on a printer as Release Gate's, on the admin's word: for triggers made before the record
 * existed (or by hand, on our definition). Graph cannot confirm whose it is, so this is never done by itself.
 */
export async function claimTrigger(
  admin: Pick<PrintApi, 'listTaskTriggers'>,
  record: TriggerRecord,
  printerId: string,
  definitionId: string,
  dryRun = false,
): Promise<{ state: 'claimed' | 'already-ours'; triggerId: string }> {
  const [trigger] = await admin.listTaskTriggers(printerId);
  if (!trigger) throw new Error(`Printer ${printerId} has no task trigger to claim.`);
  if (isRecorded(await record.list(), printerId, trigger.id)) return { state: 'already-ours', triggerId: trigger.id };
  if (!dryRun) await record.add({ printerId, triggerId: trigger.id, definitionId });
  return { state: 'claimed', triggerId: trigger.id };
}

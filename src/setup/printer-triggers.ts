import { classifyGraphError } from '../graph/graph-errors';
import type { PrintApi } from '../graph/print-api';

export interface PrinterTriggerState {
  printerId: string;
  displayName: string;
  /** ours: our definition's trigger; other: another definition's (never overwritten); none. */
  trigger: 'ours' | 'other' | 'none';
  triggerId?: string;
}

export type TriggerChange =
  | { printerId: string; displayName: string; change: 'create' | 'remove' | 'keep' }
  | { printerId: string; displayName: string; change: 'conflict'; detail: string };

/** Printers and whose trigger each has. Needs the signed-in Printer Administrator's token. */
export async function printerTriggerStates(admin: PrintApi, definitionId: string): Promise<PrinterTriggerState[]> {
  const printers = await admin.listPrinters();
  const states: PrinterTriggerState[] = [];
  for (const printer of printers) {
    const [trigger] = await admin.listTaskTriggers(printer.id);
    const ours = trigger?.definition?.id?.toLowerCase() === definitionId.toLowerCase();
    states.push({
      printerId: printer.id,
      displayName: printer.displayName ?? printer.id,
      trigger: !trigger ? 'none' : ours ? 'ours' : 'other',
      ...(trigger ? { triggerId: trigger.id } : {}),
    });
  }
  return states;
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
      return { ...base, change: 'conflict', detail: "another app's task trigger is on this printer; remove it first" };
    return { ...base, change: state.trigger === 'ours' ? 'keep' : 'create' };
  });
}

/** Explains a Graph refusal during set-up in terms an admin can act on. */
export function setupHint(error: unknown): string {
  const failure = classifyGraphError(error);
  if (failure.kind === 'forbidden') {
    return (
      `${failure.message}\nSign in as a Printer Administrator, and make sure the app registration has admin consent for the ` +
      'delegated Printer.ReadWrite.All and PrinterShare.ReadWrite.All permissions (and the application permissions PrintTaskDefinition.ReadWrite.All, ' +
      'PrintJob.Manage.All, Printer.Read.All).'
    );
  }
  return failure.message;
}

/** Applies a plan; returns what was done. */
export async function applyTriggerPlan(
  admin: PrintApi,
  plan: TriggerChange[],
  states: PrinterTriggerState[],
  definitionUrl: string,
) {
  const done: string[] = [];
  for (const step of plan) {
    if (step.change === 'create') {
      await admin.createTaskTrigger(step.printerId, definitionUrl);
      done.push(`created a trigger on "${step.displayName}"`);
    } else if (step.change === 'remove') {
      const triggerId = states.find((s) => s.printerId === step.printerId)?.triggerId;
      if (triggerId) await admin.deleteTaskTrigger(step.printerId, triggerId);
      done.push(`removed the trigger from "${step.displayName}"`);
    }
  }
  return done;
}

import type { PrintApi } from '../graph/print-api';
import { printerTriggerStates, type PrinterTriggerState } from '../setup/printer-triggers';

/**
 * Whose trigger sits on each printer. The one place the doctor asks: today it is set-up's reading
 * (the trigger's definition, as Graph lists it); it switches to set-up's record of the trigger ids
 * Release Gate created when that lands (Graph's trigger listing does not promise the definition).
 */
export function triggerOwnership(admin: PrintApi, definitionId: string): Promise<PrinterTriggerState[]> {
  return printerTriggerStates(admin, definitionId);
}

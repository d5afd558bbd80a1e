import type { PrintApi } from '../../src/graph/print-api';
import { listTriggerOwnership, type PrinterTriggerState } from '../setup/printer-triggers';
import { appTriggerRecord } from '../../src/setup/trigger-record';

/**
 * Whose trigger sits on each printer, by set-up's record of the trigger ids Release Gate created (kept in
 * the app's storage, read through the app's admin endpoint): Graph's trigger listing shows only id and event.
 */
export async function triggerOwnership(
  admin: PrintApi,
  app: { functionUrl: string; functionKey?: string },
): Promise<PrinterTriggerState[]> {
  const { printers } = await listTriggerOwnership(admin, appTriggerRecord(app.functionUrl, app.functionKey));
  return printers;
}

import { NO_FAIL_SAFE_PRINTERS, type FailSafeAction, type FailSafePrinters } from '../config/fail-safe-printers';
import { classifyGraphError } from '../graph/graph-errors';
import type { Printer } from '../graph/print-schemas';
import {
  canTellPrinters,
  needsPrinterDetails,
  selectorFor,
  wildcardMatch,
  type PrinterFacts,
} from '../policy/declarative/protected-printers';

/** What the fail-safe is configured to do, and the policy whose printers it protects. */
export interface FailSafeConfig {
  /** RELEASE_GATE_FAIL_SAFE_ACTION: for printers nothing else names. */
  failSafeAction: FailSafeAction;
  /** RELEASE_GATE_FAIL_SAFE_PRINTERS, parsed. */
  failSafePrinters?: FailSafePrinters;
  /** A declarative policy tells which printers it holds or denies jobs on; code policies cannot. */
  policy?: object;
}

export interface FailSafeChoice {
  action: FailSafeAction;
  /** Why, for the audit and the admin's log. */
  why: string;
}

/**
 * The fail-safe action for a job on a printer, before the pull-queue rule and any decision the policy
 * journaled (see failSafeDecision). In order: the printer's own entry in RELEASE_GATE_FAIL_SAFE_PRINTERS,
 * the first display-name pattern there that matches, **deny** on a printer the policy holds or denies
 * jobs on (or when the policy is not loaded, so nobody can tell), and otherwise
 * RELEASE_GATE_FAIL_SAFE_ACTION. The printer is read only when a name or location must be matched; a
 * read that fails transiently is thrown (retried), one refused for good counts as deny.
 */
export async function chooseFailSafe(
  printerId: string | undefined,
  config: FailSafeConfig,
  readPrinter: () => Promise<PrinterFacts>,
): Promise<FailSafeChoice> {
  if (!printerId) return { action: 'deny', why: 'the printer is not known' };
  const printers = config.failSafePrinters ?? NO_FAIL_SAFE_PRINTERS;
  const byId = printers.ids.get(printerId.toLowerCase());
  if (byId) return { action: byId, why: `RELEASE_GATE_FAIL_SAFE_PRINTERS names printer ${printerId}` };

  let printer: PrinterFacts | undefined;
  const details = async (): Promise<PrinterFacts | undefined> => {
    if (printer) return printer;
    try {
      return (printer = await readPrinter());
    } catch (error) {
      const kind = classifyGraphError(error).kind;
      if (kind === 'throttled' || kind === 'transient') throw error;
      return undefined;
    }
  };
  const unreadable: FailSafeChoice = { action: 'deny', why: `printer ${printerId} could not be read` };

  if (printers.names.length > 0) {
    const facts = await details();
    if (!facts) return unreadable;
    const entry = printers.names.find((n) => wildcardMatch(n.pattern, facts.displayName));
    if (entry)
      return { action: entry.action, why: `RELEASE_GATE_FAIL_SAFE_PRINTERS pattern "${entry.pattern}" matches` };
  }

  if (config.policy && canTellPrinters(config.policy)) {
    let selectors;
    try {
      selectors = await config.policy.printersItStops();
    } catch {
      return { action: 'deny', why: 'the policy is not loaded, so the printers it protects are unknown' };
    }
    const facts = needsPrinterDetails(selectors) ? await details() : { id: printerId };
    if (!facts) return unreadable;
    const selector = selectorFor(selectors, facts);
    if (selector) return { action: 'deny', why: `the policy stops jobs on this printer (rule "${selector.rule}")` };
  }
  return { action: config.failSafeAction, why: 'RELEASE_GATE_FAIL_SAFE_ACTION' };
}

/** What the fail-safe may match a printer on: its id, display name and location. */
export const printerFacts = (printer: Printer): PrinterFacts => ({
  id: printer.id,
  displayName: printer.displayName ?? undefined,
  location: printer.location
    ? {
        site: printer.location.site ?? undefined,
        building: printer.location.building ?? undefined,
        floor: printer.location.floor ?? undefined,
      }
    : undefined,
});

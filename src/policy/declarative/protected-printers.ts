import type { Action, Condition, PolicyFile } from './policy-schema';

/**
 * The printers a rule names (by id, display name or location), read from the policy itself. The
 * fail-safe denies on them by default: when the policy cannot decide, a job on a printer the
 * policy holds or denies jobs on must not print unchecked.
 */
export interface PrinterSelector {
  /** The rule that names the printers (for the audit and logs). */
  rule: string;
  /** Every printer (a default that holds or denies, a printer condition under `not`). */
  every?: true;
  ids?: string[];
  /** Display names, `*` a wildcard, ignoring case (as the policy matches them). */
  names?: string[];
  location?: { site?: string[]; building?: string[]; floor?: string[] };
}

export interface PrinterFacts {
  id: string;
  displayName?: string;
  location?: { site?: string; building?: string; floor?: string };
}

/** A policy that can tell which printers it stops jobs on (declarative ones can; code cannot). */
export interface StopsJobsOnPrinters {
  /** Throws when the policy is not loaded: then nobody knows, and the fail-safe denies. */
  printersItStops(): Promise<PrinterSelector[]>;
}

export const canTellPrinters = (policy: object): policy is StopsJobsOnPrinters =>
  typeof (policy as Partial<StopsJobsOnPrinters>).printersItStops === 'function';

const stopsJobs = (action: Action) => 'hold' in action || 'deny' in action;

/** The selectors of every rule whose action is hold or deny and whose condition names printers. */
export function printersPolicyStops(file: PolicyFile): PrinterSelector[] {
  const found = file.rules.filter((rule) => stopsJobs(rule.then)).flatMap((rule) => selectorsIn(rule.when, rule.name));
  if (stopsJobs(file.default)) found.push({ rule: 'default', every: true });
  return found;
}

function selectorsIn(condition: Condition, rule: string): PrinterSelector[] {
  const here: PrinterSelector[] = [];
  if (condition.printers || condition.location)
    here.push({
      rule,
      ...(condition.printers?.ids ? { ids: condition.printers.ids } : {}),
      ...(condition.printers?.names ? { names: condition.printers.names } : {}),
      ...(condition.printers && !condition.printers.ids && !condition.printers.names ? { every: true as const } : {}),
      ...(condition.location ? { location: condition.location } : {}),
    });
  // "not these printers" stops jobs on all the others: without reading them all, count every printer.
  if (condition.not && selectorsIn(condition.not, rule).length > 0) here.push({ rule, every: true });
  for (const part of [...(condition.all ?? []), ...(condition.any ?? [])]) here.push(...selectorsIn(part, rule));
  return here;
}

/** Whether matching needs the printer's name or location (a Graph read), or its id is enough. */
export const needsPrinterDetails = (selectors: readonly PrinterSelector[]): boolean =>
  selectors.some((s) => !s.every && (s.names || s.location));

/** The first selector that names this printer. */
export function selectorFor(selectors: readonly PrinterSelector[], printer: PrinterFacts): PrinterSelector | undefined {
  return selectors.find((selector) => {
    if (selector.every) return true;
    const byPrinter =
      !selector.ids && !selector.names
        ? true
        : !!selector.ids?.some((id) => id.toLowerCase() === printer.id.toLowerCase()) ||
          !!selector.names?.some((pattern) => wildcardMatch(pattern, printer.displayName));
    if (!byPrinter) return false;
    const wanted = selector.location;
    if (!wanted) return true;
    const at = printer.location ?? {};
    return (
      (!wanted.site || wanted.site.some((p) => wildcardMatch(p, at.site))) &&
      (!wanted.building || wanted.building.some((p) => wildcardMatch(p, at.building))) &&
      (!wanted.floor || wanted.floor.some((p) => wildcardMatch(p, at.floor)))
    );
  });
}

/**
 * `*` matches any run of characters, ignoring case; everything else is literal. Written without a
 * regular expression: linear in practice, whatever the pattern.
 */
export function wildcardMatch(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const parts = pattern.toLowerCase().split('*');
  const text = value.toLowerCase();
  if (parts.length === 1) return text === parts[0];
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!text.startsWith(first) || text.length < first.length + last.length || !text.endsWith(last)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = text.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

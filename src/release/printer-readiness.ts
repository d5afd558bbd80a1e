import type { Printer } from '../graph/print-schemas';
import type { ReleasePrinter } from './release-printers';

/**
 * Whether a printer can print now, read from Graph's printerStatus before a release: a job sent to a
 * printer that is out of paper sits there (or comes out for the next person after the fix); the user
 * would rather keep it held and walk to another printer.
 */
export type Readiness = { ready: true } | { ready: false; displayName: string; reason: string; says: string };

/**
 * printerProcessingStateDetail values that stop a printer from printing, with the short reason a
 * list shows and what follows the printer's name in a sentence. Values not here (mediaLow, tonerLow,
 * markerSupplyLow, outputAreaAlmostFull, connectingToDevice, other, the PWG finisher values…) are
 * warnings or unknown: they do not refuse on their own; a `stopped` state still does.
 */
const ERROR_DETAILS: Record<string, [reason: string, says: string]> = {
  mediaEmpty: ['out of paper', 'is out of paper'],
  mediaNeeded: ['out of paper', 'needs paper in the tray it is using'],
  mediaJam: ['paper jam', 'has a paper jam'],
  inputTrayMissing: ['a paper tray is missing', 'is missing a paper tray'],
  outputTrayMissing: ['the output tray is missing', 'is missing its output tray'],
  outputAreaFull: ['the output tray is full', 'has a full output tray'],
  tonerEmpty: ['out of toner', 'is out of toner'],
  markerSupplyEmpty: ['out of toner or ink', 'is out of toner or ink'],
  developerEmpty: ['out of developer', 'is out of developer'],
  markerWasteFull: ['the waste toner box is full', 'has a full waste toner box'],
  opticalPhotoConductorLifeOver: ['the drum needs replacing', 'needs a new drum'],
  doorOpen: ['a door is open', 'has a door open'],
  coverOpen: ['a cover is open', 'has a cover open'],
  interlockOpen: ['a cover is open', 'has a cover open'],
  fuserOverTemp: ['overheating', 'is overheating'],
  spoolAreaFull: ['its job storage is full', 'has no room for more jobs'],
  paused: ['paused', 'is paused'],
  movingToPaused: ['paused', 'is paused'],
  stopping: ['stopping', 'is stopping'],
  shutdown: ['shut down', 'is shut down'],
  timedOut: ['offline', 'is offline (not answering)'],
  offline: ['offline', 'is offline'],
  deactivated: ['out of service', 'is out of service'],
};

/** A printer's readiness from its Graph record (pure: no Graph, no cache). */
export function readinessOf(printer: Printer): Readiness {
  const displayName = printer.displayName ?? printer.id;
  const errors = [...new Set((printer.status?.details ?? []).filter((d) => d in ERROR_DETAILS))].map(
    (d) => ERROR_DETAILS[d]!,
  );
  if (errors.length > 0) {
    const unique = (parts: string[]) => [...new Set(parts)].join(' and ');
    return {
      ready: false,
      displayName,
      reason: unique(errors.map(([reason]) => reason)),
      says: unique(errors.map(([, says]) => says)),
    };
  }
  if (printer.status?.state === 'stopped') return { ready: false, displayName, reason: 'stopped', says: 'is stopped' };
  if (printer.isAcceptingJobs === false)
    return { ready: false, displayName, reason: 'not accepting jobs', says: 'is not accepting jobs' };
  return { ready: true };
}

export type ReadinessCheck = (printerId: string) => Promise<Readiness>;

/**
 * Readiness per printer, each reused for `cacheSeconds` (RELEASE_GATE_PRINTER_STATUS_CACHE_SECONDS):
 * the page lists many printers and a release reads one again. A failed read is not kept and is
 * thrown: the caller says "busy, try again" (503) — never a release blind, never "in error".
 */
export function printerReadiness(options: {
  read: (printerId: string) => Promise<Printer>;
  cacheSeconds: number;
  now?: () => number;
}): ReadinessCheck {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; readiness: Promise<Readiness> }>();
  return (printerId) => {
    const key = printerId.toLowerCase();
    const hit = cache.get(key);
    if (hit && now() - hit.at < options.cacheSeconds * 1000) return hit.readiness;
    const readiness = options.read(printerId).then(readinessOf);
    const entry = { at: now(), readiness };
    cache.set(key, entry);
    readiness.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
    return readiness;
  };
}

/** Refused before anything is claimed: the chosen printer cannot print now. */
export class PrinterNotReady extends Error {
  override name = 'PrinterNotReady';
  readonly code = 'printer_not_ready';
  constructor(
    readonly printerId: string,
    readonly readiness: Extract<Readiness, { ready: false }>,
  ) {
    super(`${readiness.displayName} ${readiness.says}; your jobs are still held.`);
  }
}

const MAX_ALTERNATIVES = 3;
const same = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Up to three ready printers near one in error: the same building first (same floor before other
 * floors), then the same site; none when the printer has no location. A printer whose status cannot
 * be read now is left out (it is not offered as ready).
 */
export async function nearestReadyPrinters(
  target: ReleasePrinter,
  printers: readonly ReleasePrinter[],
  check: ReadinessCheck,
): Promise<ReleasePrinter[]> {
  const at = target.location;
  if (!at) return [];
  const others = printers.filter((p) => p.id.toLowerCase() !== target.id.toLowerCase());
  // A building is only "the same" within the same site when both say their site.
  const sameSite = (p: ReleasePrinter) => same(p.location?.site, at.site);
  const sameBuilding = (p: ReleasePrinter) =>
    same(p.location?.building, at.building) && (!p.location?.site || !at.site || sameSite(p));
  const byFloor = (list: ReleasePrinter[]) =>
    [...list].sort(
      (a, b) =>
        Number(!same(a.location?.floor, at.floor)) - Number(!same(b.location?.floor, at.floor)) ||
        a.displayName.localeCompare(b.displayName),
    );
  const building = byFloor(others.filter(sameBuilding));
  const site = byFloor(others.filter((p) => !sameBuilding(p) && sameSite(p)));
  const found: ReleasePrinter[] = [];
  for (const candidate of [...building, ...site]) {
    if (found.length >= MAX_ALTERNATIVES) break;
    const readiness = await check(candidate.id).catch(() => undefined);
    if (readiness?.ready) found.push(candidate);
  }
  return found;
}

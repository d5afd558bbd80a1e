import type { PrintApi } from '../graph/print-api';
import type { Printer } from '../graph/print-schemas';
import { errorText, type Log } from '../observability/log';

/** A printer where held jobs may come out, as the release page shows it. */
export interface ReleasePrinter {
  id: string;
  displayName: string;
  location?: { site?: string; building?: string; floor?: string; room?: string; city?: string };
}

/** Only the parts of a location a person walking to the printer needs. */
function locationOf(printer: Printer): ReleasePrinter['location'] {
  const l = printer.location;
  if (!l) return undefined;
  const parts = { site: l.site, building: l.building, floor: l.floor, room: l.roomName, city: l.city };
  const present = Object.entries(parts).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return present.length ? Object.fromEntries(present) : undefined;
}

const TTL_MS = 5 * 60_000;

/**
 * The release printers with their names and locations, read from Graph and kept for five minutes
 * (the page opens often; printers rarely change). With declared release printers
 * (RELEASE_GATE_RELEASE_PRINTERS), those that are physical; otherwise every physical printer (a
 * virtual pull queue is not somewhere a job can come out).
 */
export function releasePrinterDirectory(options: {
  api: () => Promise<PrintApi>;
  declared?: string[];
  log?: Log;
  now?: () => number;
}): () => Promise<ReleasePrinter[]> {
  const now = options.now ?? Date.now;
  let cached: { at: number; printers: Promise<ReleasePrinter[]> } | undefined;

  async function read(): Promise<ReleasePrinter[]> {
    const api = await options.api();
    const printers = options.declared
      ? (
          await Promise.all(
            options.declared.map((id) =>
              api.getPrinter(id).catch((error: unknown) => {
                // One missing printer must not hide the others; the admin sees it in the logs.
                options.log?.warn('release.printer-unavailable', { printerId: id, detail: errorText(error) });
                return undefined;
              }),
            ),
          )
        ).filter((p): p is Printer => {
          if (p === undefined) return false;
          // A declared pull queue is a mistake: nothing comes out of it, so it is not offered.
          if (p.hasPhysicalDevice === false) options.log?.warn('release.printer-is-pull-queue', { printerId: p.id });
          return p.hasPhysicalDevice !== false;
        })
      : (await api.listPrinters()).filter((p) => p.hasPhysicalDevice !== false);
    return printers
      .map((p) => {
        const location = locationOf(p);
        return { id: p.id, displayName: p.displayName ?? p.id, ...(location ? { location } : {}) };
      })
      .sort((a, b) => a.displayName.localeCompare(b.displayName));
  }

  return () => {
    if (!cached || now() - cached.at > TTL_MS) {
      const printers = read();
      cached = { at: now(), printers };
      printers.catch(() => (cached = undefined));
    }
    return cached.printers;
  };
}

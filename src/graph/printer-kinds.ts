import type { PrintApi } from './print-api';
import type { Printer } from './print-schemas';

/**
 * Whether a printer is a pull queue: a virtual printer (`hasPhysicalDevice: false`) with no device
 * behind it. A job there prints nothing when its task is completed; it leaves only by redirect to
 * a physical printer, or by abort. A printer's kind is fixed when it is registered, so answers are
 * kept a while (and bounded); a failed read is never kept, and never turned into an answer.
 */
export interface PrinterKinds {
  /** True for a pull queue. Reads the printer (one Graph call) unless it is known. */
  isPullQueue(printerId: string, api: Pick<PrintApi, 'getPrinter'>): Promise<boolean>;
  /** What a printer read elsewhere (e.g. for the policy) tells, so it is not read again. */
  remember(printer: Pick<Printer, 'id' | 'hasPhysicalDevice'> & { displayName?: string | null }): void;
  /** The kind if known now, without a Graph call. */
  known(printerId: string): boolean | undefined;
  /** The printer's name if it was read a while ago (for the audit record), without a Graph call. */
  name(printerId: string): string | undefined;
}

export const isVirtual = (printer: Pick<Printer, 'hasPhysicalDevice'>): boolean => printer.hasPhysicalDevice === false;

export function printerKinds(options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}): PrinterKinds {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const maxEntries = options.maxEntries ?? 1000;
  const now = options.now ?? Date.now;
  const kinds = new Map<string, { virtual: boolean; name?: string; at: number }>();
  const key = (id: string) => id.toLowerCase();

  const entry = (printerId: string) => {
    const found = kinds.get(key(printerId));
    if (!found) return undefined;
    if (now() - found.at > ttlMs) {
      kinds.delete(key(printerId));
      return undefined;
    }
    return found;
  };
  const known = (printerId: string) => entry(printerId)?.virtual;
  const remember = (printer: Pick<Printer, 'id' | 'hasPhysicalDevice'> & { displayName?: string | null }) => {
    if (kinds.size >= maxEntries) kinds.delete(kinds.keys().next().value!); // oldest first
    kinds.set(key(printer.id), { virtual: isVirtual(printer), name: printer.displayName ?? undefined, at: now() });
  };
  return {
    known,
    remember,
    name: (printerId) => entry(printerId)?.name,
    async isPullQueue(printerId, api) {
      const cached = known(printerId);
      if (cached !== undefined) return cached;
      const printer = await api.getPrinter(printerId);
      remember({ id: printerId, hasPhysicalDevice: printer.hasPhysicalDevice, displayName: printer.displayName });
      return isVirtual(printer);
    },
  };
}

/** One cache per Graph client when the caller keeps none (tests, benchmarks, one-off runs). */
const perApi = new WeakMap<object, PrinterKinds>();
export function printerKindsFor(api: object): PrinterKinds {
  let kinds = perApi.get(api);
  if (!kinds) perApi.set(api, (kinds = printerKinds()));
  return kinds;
}

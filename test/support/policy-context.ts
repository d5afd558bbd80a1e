import type { PolicyContext } from '../../src/policy/decision';
import type { QuotaStanding } from '../../src/quota/quota-model';

export const PRINTERS = {
  floor1: {
    id: '9f8e7d6c-0000-4000-8000-000000000001',
    displayName: 'HQ Floor 1 Color',
    location: { site: 'HQ', building: 'A', floor: '1' },
  },
  floor2: {
    id: '9f8e7d6c-0000-4000-8000-000000000002',
    displayName: 'HQ Floor 2 Mono',
    location: { site: 'HQ', building: 'A', floor: '2' },
  },
  hr: {
    id: '9f8e7d6c-0000-4000-8000-000000000004',
    displayName: 'HR Confidential',
    location: { site: 'HQ', building: 'A', floor: '3' },
  },
};

export interface ContextInput {
  upn?: string;
  printer?: (typeof PRINTERS)[keyof typeof PRINTERS];
  copies?: number;
  colorMode?: string;
  duplexMode?: string;
  mediaSize?: string;
  name?: string;
  size?: number;
  contentType?: string;
  now?: string;
  groups?: string[];
  /** The owner's standings by quota name (undefined: the quota does not apply); a quota not listed throws. */
  quotas?: Record<string, QuotaStanding | undefined>;
  pageRanges?: { start?: number; end?: number }[];
}

/** A policy context as the processor builds it, with counters for the Graph look-ups it makes. */
export function context(
  input: ContextInput = {},
): PolicyContext & { lookups: { printer: number; groups: number; quotas: number } } {
  const printer = input.printer ?? PRINTERS.floor1;
  const lookups = { printer: 0, groups: 0, quotas: 0 };
  return {
    lookups,
    tenantId: 't',
    now: new Date(input.now ?? '2026-11-24T10:00:00Z'),
    job: {
      id: '1001',
      printerId: printer.id,
      owner: { id: 'u1', userPrincipalName: input.upn ?? 'adele@contoso.example', displayName: 'Adele' },
      configuration: {
        copies: input.copies ?? 1,
        colorMode: input.colorMode ?? 'color',
        duplexMode: input.duplexMode ?? 'oneSided',
        mediaSize: input.mediaSize ?? 'A4',
        ...(input.pageRanges ? { pageRanges: input.pageRanges } : {}),
      },
      document: {
        name: input.name ?? 'Report.pdf',
        sizeBytes: input.size ?? 100_000,
        contentType: input.contentType ?? 'application/pdf',
      },
    },
    async printer() {
      lookups.printer++;
      return printer;
    },
    async memberOf(groupIds) {
      lookups.groups++;
      return new Set(groupIds.filter((g) => input.groups?.includes(g)));
    },
    async quota(name) {
      lookups.quotas++;
      if (!input.quotas || !(name in input.quotas)) throw new Error(`quota usage not available for ${name}`);
      return input.quotas[name];
    },
  };
}

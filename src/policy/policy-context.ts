import type { Printer, PrintJob } from '../graph/print-schemas';
import type { PolicyContext } from './decision';
import type { QuotaLookup } from '../quota/standings';

/** Reads a printer (a Graph call in the processor, a fixture in the dry run). */
export interface PrinterLookup {
  getPrinter(printerId: string): Promise<Pick<Printer, 'id' | 'displayName' | 'location'>>;
}

/** Which of the groups the user is a member of (directly or not). */
export type GroupMembershipLookup = (userId: string, groupIds: readonly string[]) => Promise<Set<string>>;

const orUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/**
 * The policy's view of a job. The printer and group look-ups cost Graph calls, so they run only
 * if the policy asks, and once.
 */
export function buildPolicyContext(input: {
  job: PrintJob;
  printerId: string;
  tenantId: string;
  now: Date;
  printers: PrinterLookup;
  memberOf?: GroupMembershipLookup;
  /** Where the owner stands on the policy's quotas (src/quota/standings.ts lazyQuotaLookup). */
  quota?: QuotaLookup;
}): PolicyContext {
  const { job, printers } = input;
  const configuration = job.configuration ?? {};
  const document = job.documents?.[0];
  let printer: ReturnType<PolicyContext['printer']> | undefined;
  const groupCache = new Map<string, boolean>();
  return {
    tenantId: input.tenantId,
    now: input.now,
    job: {
      id: job.id,
      printerId: input.printerId,
      createdDateTime: orUndefined(job.createdDateTime),
      owner: {
        id: orUndefined(job.createdBy?.id),
        userPrincipalName: orUndefined(job.createdBy?.userPrincipalName),
        displayName: orUndefined(job.createdBy?.displayName),
      },
      configuration: {
        copies: orUndefined(configuration.copies),
        colorMode: orUndefined(configuration.colorMode),
        duplexMode: orUndefined(configuration.duplexMode),
        mediaSize: orUndefined(configuration.mediaSize),
        pagesPerSheet: orUndefined(configuration.pagesPerSheet),
        pageRanges: configuration.pageRanges?.map((r) => ({ start: orUndefined(r.start), end: orUndefined(r.end) })),
      },
      document: document
        ? {
            name: orUndefined(document.displayName),
            sizeBytes: orUndefined(document.size),
            contentType: orUndefined(document.contentType),
          }
        : undefined,
    },
    printer() {
      printer ??= printers.getPrinter(input.printerId).then((p) => ({
        id: p.id,
        displayName: orUndefined(p.displayName),
        location: p.location
          ? {
              site: orUndefined(p.location.site),
              building: orUndefined(p.location.building),
              floor: orUndefined(p.location.floor),
            }
          : undefined,
      }));
      return printer;
    },
    async memberOf(groupIds) {
      const userId = job.createdBy?.id;
      const unknown = groupIds.filter((g) => !groupCache.has(g));
      if (unknown.length > 0) {
        if (!userId || !input.memberOf) throw new Error('Group membership is not available for this job');
        const found = await input.memberOf(userId, unknown);
        for (const g of unknown) groupCache.set(g, found.has(g));
      }
      return new Set(groupIds.filter((g) => groupCache.get(g)));
    },
    quota(name) {
      // Fail closed: without usage, a quota must not read as "not reached".
      if (!input.quota)
        return Promise.reject(new Error(`The policy asks for quota "${name}", but quota usage is not available here`));
      return input.quota(name);
    },
  };
}

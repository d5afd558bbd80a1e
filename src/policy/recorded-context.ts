import type { PolicyContext } from './decision';
import type { QuotaStanding } from '../quota/quota-model';

/**
 * The policy context a decision was made from, as the audit keeps it for replay: the job's metadata
 * and the look-ups the policy made, with their answers as they were then. Only what the policy
 * looked at is kept (a printer it never read, a group it never asked about, is absent). No document
 * content, ever: the document's name, size and type are metadata.
 */
export interface RecordedContext {
  v: 1;
  /** When the decision was made (replay evaluates as of this instant). */
  decidedAt: string;
  job: {
    id: string;
    printerId: string;
    createdDateTime?: string;
    owner: { id?: string; userPrincipalName?: string; displayName?: string };
    configuration: PolicyContext['job']['configuration'];
    document?: PolicyContext['job']['document'];
  };
  /** The printer as read, if the policy read it. */
  printer?: Awaited<ReturnType<PolicyContext['printer']>>;
  /** Each group the policy asked about: whether the owner was a member. */
  groups?: Record<string, boolean>;
  /** Each quota the policy asked about: where the owner stood (null: it did not apply to them). Not replayed. */
  quotas?: Record<string, QuotaStanding | null>;
}

/** Limits that keep a record well under Azure Tables' 64 KiB string property (see capRecordedContext). */
export const RECORDED_LIMITS = { string: 256, pageRanges: 32, groups: 200, quotas: 20 } as const;

const cap = (text: string | undefined): string | undefined =>
  text === undefined || text.length <= RECORDED_LIMITS.string ? text : `${text.slice(0, RECORDED_LIMITS.string - 1)}…`;

/** Drops keys whose value is undefined, so the JSON stays small. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The recorded context, with every string and list bounded: at most ~200 groups × ~40 bytes and a
 * dozen 256-character strings, so about 12 KiB of JSON in the worst case.
 */
export function capRecordedContext(recorded: RecordedContext): RecordedContext {
  const { job } = recorded;
  const configuration = job.configuration;
  const groups = recorded.groups && Object.entries(recorded.groups).slice(0, RECORDED_LIMITS.groups);
  return compact({
    v: 1,
    decidedAt: recorded.decidedAt,
    job: compact({
      id: cap(job.id)!,
      printerId: cap(job.printerId)!,
      createdDateTime: cap(job.createdDateTime),
      owner: compact({
        id: cap(job.owner.id),
        userPrincipalName: cap(job.owner.userPrincipalName),
        displayName: cap(job.owner.displayName),
      }),
      configuration: compact({
        copies: configuration.copies,
        colorMode: cap(configuration.colorMode),
        duplexMode: cap(configuration.duplexMode),
        mediaSize: cap(configuration.mediaSize),
        pagesPerSheet: configuration.pagesPerSheet,
        pageRanges: configuration.pageRanges?.slice(0, RECORDED_LIMITS.pageRanges).map((r) => compact({ ...r })),
      }),
      document: job.document
        ? compact({
            name: cap(job.document.name),
            sizeBytes: job.document.sizeBytes,
            contentType: cap(job.document.contentType),
          })
        : undefined,
    }),
    printer: recorded.printer
      ? compact({
          id: cap(recorded.printer.id)!,
          displayName: cap(recorded.printer.displayName),
          location: recorded.printer.location
            ? compact({
                site: cap(recorded.printer.location.site),
                building: cap(recorded.printer.location.building),
                floor: cap(recorded.printer.location.floor),
              })
            : undefined,
        })
      : undefined,
    groups: groups && Object.fromEntries(groups.map(([id, member]) => [cap(id)!, member])),
    quotas: recorded.quotas && Object.fromEntries(Object.entries(recorded.quotas).slice(0, RECORDED_LIMITS.quotas)),
  });
}

/**
 * Wraps the context a policy sees, so the look-ups it made (and their answers) can be recorded.
 * A look-up that failed is not recorded: replay then calls the job not replayable rather than guess.
 */
export function recordingContext(context: PolicyContext): {
  context: PolicyContext;
  recorded(): RecordedContext;
} {
  let printer: RecordedContext['printer'];
  const groups: Record<string, boolean> = {};
  let askedGroups = false;
  const quotas: Record<string, QuotaStanding | null> = {};
  const wrapped: PolicyContext = {
    ...context,
    async printer() {
      const read = await context.printer();
      printer = read;
      return read;
    },
    async memberOf(groupIds) {
      const members = await context.memberOf(groupIds);
      askedGroups = true;
      for (const id of groupIds) groups[id] = members.has(id);
      return members;
    },
    async quota(name) {
      const standing = await context.quota(name);
      quotas[name] = standing ?? null;
      return standing;
    },
  };
  return {
    context: wrapped,
    recorded: () =>
      capRecordedContext({
        v: 1,
        decidedAt: context.now.toISOString(),
        job: context.job,
        printer,
        groups: askedGroups ? groups : undefined,
        quotas: Object.keys(quotas).length > 0 ? quotas : undefined,
      }),
  };
}

/** A look-up the candidate policy needs that the recorded context does not have. */
export class NotRecordedError extends Error {}

/**
 * A policy context rebuilt from a recorded one, as of its own time. A look-up that was not recorded
 * throws NotRecordedError, and `missing` says which (in case a policy swallows the error).
 */
export function contextFromRecorded(
  recorded: RecordedContext,
  tenantId = 'replay',
): { context: PolicyContext; missing: string[] } {
  const missing: string[] = [];
  const notRecorded = (what: string) => {
    missing.push(what);
    return Promise.reject(new NotRecordedError(what));
  };
  const printer = recorded.printer;
  const groups = recorded.groups ?? {};
  const context: PolicyContext = {
    tenantId,
    now: new Date(recorded.decidedAt),
    job: {
      ...recorded.job,
      owner: { ...recorded.job.owner },
      configuration: { ...recorded.job.configuration },
    },
    printer: () =>
      printer ? Promise.resolve(printer) : notRecorded('the printer was not read when the job was decided'),
    memberOf(groupIds) {
      const unknown = groupIds.filter((id) => !(id in groups));
      if (unknown.length > 0)
        return notRecorded(`group ${unknown.join(', ')} was not checked when the job was decided`);
      return Promise.resolve(new Set(groupIds.filter((id) => groups[id])));
    },
    // Usage as it was then is re-accumulated by the replay (ReplayHooks.contextFor), never guessed here.
    quota: (name) => notRecorded(`quota "${name}": usage is replayed only with the quota hook`),
  };
  return { context, missing };
}

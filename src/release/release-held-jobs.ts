import type { AuditLog } from '../audit/audit-log';
import { classifyGraphError } from '../graph/graph-errors';
import type { PrintApi } from '../graph/print-api';
import type { PrintJobConfigurationChange } from '../graph/print-schemas';
import { tellHoldOwner } from '../holds/hold-messages';
import { ownsHold, type DelegateRef, type HeldJob, type HoldOwner, type HoldStore } from '../holds/hold-store';
import type { MessageOutbox } from '../messages/message-model';
import { errorText, type Log } from '../observability/log';
import { closeTaskIfOpen } from '../graph/close-task';
import { nextKeepUntil } from '../holds/keep-longer';
import { printerKindsFor } from '../graph/printer-kinds';
import type { TaskIndex } from '../tasks/task-index';
import type { ChargeItem, UsageStore } from '../quota/quota-model';
import { chargesForLess, settleCharges, settlementOf } from '../quota/settle-charges';
import { PrinterNotReady, type ReadinessCheck } from './printer-readiness';

export interface ReleaseDependencies {
  /** Printers where held jobs may come out; undefined allows any. */
  releasePrinters?: readonly string[];
  api: PrintApi;
  holds: HoldStore;
  audit: AuditLog;
  tasks: TaskIndex;
  log: Log;
  now?: () => Date;
  /** Settles a released, deleted or vanished job's quota charge (see src/quota/settle-charges.ts). */
  usageStore?: UsageStore;
  /** Tells an owner Universal Print deleted their held job (message kind `deleted`). */
  messages?: MessageOutbox;
  /** Whether a printer can print now (src/release/printer-readiness.ts); without it none is refused. */
  printerReadiness?: ReadinessCheck;
}

/** What a user may change at release: only ways to print less (fewer copies, grayscale, two-sided). */
export interface UserChanges {
  copies?: number;
  grayscale?: boolean;
  duplex?: boolean;
}

export type ReleaseResult =
  | { taskId: string; status: 'released'; printerId: string; newJobId: string }
  | { taskId: string; status: 'deleted' }
  | { taskId: string; status: 'not-found' } // not held, not this user's, or already ended
  | { taskId: string; status: 'expired'; reason: string } // Universal Print deleted the job: hold ended
  | { taskId: string; status: 'failed'; reason: string }; // still held

/** What the user is told about a held job Universal Print deleted (it "eventually deletes" blocked jobs). */
export const VANISHED_REASON =
  'Universal Print deleted this job before it was released (it waited too long); please print it again.';

/** A release asked for at a printer where nothing can come out (a pull queue): refused, nothing claimed. */
export class ReleasePrinterRefused extends Error {
  override name = 'ReleasePrinterRefused';
  readonly code = 'not_a_printer';
  constructor(message: string) {
    super(message);
  }
}

export interface HeldJobView {
  taskId: string;
  documentName?: string;
  sizeBytes?: number;
  /**
   * How it will print unless the user asks for less: what it was sent with, with the policy's
   * release configuration applied over it. Left out where unknown (holds stored before they were kept).
   */
  copies?: number;
  color?: 'color' | 'blackAndWhite';
  sides?: 'one' | 'two';
  mediaSize?: string;
  /** Only these printers may print it (a confidential hold). */
  releaseAt?: string[];
  heldAt: string;
  expiresAt: string;
  /** The latest expiry "keep longer" may reach; absent when the job cannot be kept longer (any more). */
  keepUntilMax?: string;
  /** The expiry one more "keep longer" gives now (the page's button shows it); with keepUntilMax. */
  nextKeepUntil?: string;
  printerId: string;
  /** The owner's list only: the colleague this job was handed to. */
  handedTo?: DelegateRef;
  /** The owner's list only: the policy forbids delegates and hand-over for this job. */
  noDelegation?: true;
}

export interface ExpiredJobView {
  taskId: string;
  documentName?: string;
  heldAt: string;
  reason: string;
}

/**
 * A user's own held jobs, newest first. Other users' jobs are in other partitions: never seen.
 * Each queue the user has jobs on is listed once in Graph (one call per queue): a held job missing
 * there and then not found on its own (404) was deleted by Universal Print; its hold ends and it is
 * returned under `expired`, so the user is told instead of seeing it as still held. If Graph cannot
 * be asked now, the holds are shown as they are (a transient failure never ends a hold).
 */
export async function listHeldJobs(
  deps: ReleaseDependencies,
  owner: HoldOwner,
): Promise<{ jobs: HeldJobView[]; expired: ExpiredJobView[] }> {
  const holds = await deps.holds.listByOwner(owner);
  const now = (deps.now ?? (() => new Date()))();
  const vanished = await findVanished(deps, holds);
  const expired: ExpiredJobView[] = [];
  for (const held of vanished) {
    const claimed = await deps.holds.claim(owner, held.taskId);
    if (!claimed) continue; // someone else ended it meanwhile
    await endVanishedHold(deps, claimed, 'found missing when its owner listed their jobs');
    expired.push({
      taskId: held.taskId,
      ...(held.documentName ? { documentName: held.documentName } : {}),
      heldAt: held.heldAt,
      reason: VANISHED_REASON,
    });
  }
  const gone = new Set(vanished.map((h) => h.taskId));
  const jobs = holds
    .filter((h) => !gone.has(h.taskId))
    .sort((a, b) => b.heldAt.localeCompare(a.heldAt))
    // The owner alone sees whom a job was handed to, which may not be delegated, how long it may be kept.
    .map((h) => ({
      ...jobView(h),
      ...(h.handedTo ? { handedTo: h.handedTo } : {}),
      ...(h.noDelegation ? { noDelegation: true as const } : {}),
      // Only the owner may keep a job longer.
      ...keepable(h, now),
    }));
  return { jobs, expired };
}

/** How far "keep longer" can still move this job, for the page (nothing when it cannot). */
function keepable(held: HeldJob, now: Date): Pick<HeldJobView, 'keepUntilMax' | 'nextKeepUntil'> {
  const next = nextKeepUntil(held, now);
  return next && held.keepUntilMax ? { keepUntilMax: held.keepUntilMax, nextKeepUntil: next } : {};
}

/** A held job as the release page shows it. */
export function jobView(h: HeldJob): HeldJobView {
  return {
    taskId: h.taskId,
    documentName: h.documentName,
    sizeBytes: h.sizeBytes,
    ...printsAs(h),
    ...(h.releaseAt ? { releaseAt: h.releaseAt } : {}),
    heldAt: h.heldAt,
    expiresAt: h.expiresAt,
    printerId: h.printerId,
  };
}

/** How a held job will come out: the user's settings, with what the policy changes at release over them. */
export function printsAs(held: HeldJob): Pick<HeldJobView, 'copies' | 'color' | 'sides' | 'mediaSize'> {
  const policy = held.releaseConfiguration ?? {};
  const copies = policy.copies ?? held.copies;
  const colorMode = policy.colorMode ?? held.colorMode;
  const duplexMode = policy.duplexMode ?? held.duplexMode;
  const mediaSize = policy.mediaSize ?? held.mediaSize;
  // 'auto' leaves it to the printer: not something to promise the user.
  const color =
    colorMode === 'color'
      ? 'color'
      : colorMode === 'grayscale' || colorMode === 'blackAndWhite'
        ? 'blackAndWhite'
        : undefined;
  const sides =
    duplexMode === 'oneSided'
      ? 'one'
      : duplexMode === 'flipOnLongEdge' || duplexMode === 'flipOnShortEdge'
        ? 'two'
        : undefined;
  return {
    ...(copies ? { copies } : {}),
    ...(color ? { color } : {}),
    ...(sides ? { sides } : {}),
    ...(mediaSize ? { mediaSize } : {}),
  };
}

async function findVanished(deps: ReleaseDependencies, holds: HeldJob[]): Promise<HeldJob[]> {
  const vanished: HeldJob[] = [];
  for (const printerId of new Set(holds.map((h) => h.printerId.toLowerCase()))) {
    const onPrinter = holds.filter((h) => h.printerId.toLowerCase() === printerId);
    try {
      // Graph filters a printer's jobs by the UPN they were created under (the one stored with the hold).
      const listed = new Set(
        (await deps.api.listJobs(onPrinter[0]!.printerId, onPrinter[0]!.ownerUpn)).map((j) => j.id),
      );
      for (const held of onPrinter.filter((h) => !listed.has(h.jobId))) {
        // Absence from a filtered list is not proof: only the job's own 404 is.
        if (await isGone(deps.api, held)) vanished.push(held);
      }
    } catch (error) {
      deps.log.warn('hold.check-failed', { printerId, detail: classifyGraphError(error).message });
    }
  }
  return vanished;
}

async function isGone(api: PrintApi, held: HeldJob): Promise<boolean> {
  try {
    await api.getJob(held.printerId, held.jobId);
    return false;
  } catch (error) {
    if (classifyGraphError(error).kind === 'not-found') return true;
    throw error;
  }
}

/**
 * A held job Universal Print deleted: the hold (already claimed) ends, our task is closed if it
 * still exists, and the audit says `hold-vanished`. Closing the task is best effort: the job is gone.
 */
export async function endVanishedHold(
  deps: Pick<ReleaseDependencies, 'api' | 'audit' | 'tasks' | 'log' | 'now' | 'usageStore' | 'messages'>,
  held: HeldJob,
  how: string,
): Promise<void> {
  const log = deps.log.with({ correlationId: held.correlationId, taskId: held.taskId });
  await closeTaskIfOpen(deps.api, held, 'aborted', VANISHED_REASON, log).catch((error: unknown) =>
    log.warn('task.close-failed', { detail: classifyGraphError(error).message }),
  );
  await finish(deps, held, 'hold-vanished', `the job was deleted by Universal Print; ${how}`);
  log.warn('hold.vanished', { jobId: held.jobId, printerId: held.printerId, how });
  await tellHoldOwner(deps.messages, held, 'deleted', VANISHED_REASON, log);
}

function configurationFor(held: HeldJob, changes: UserChanges | undefined): PrintJobConfigurationChange | undefined {
  const configuration: PrintJobConfigurationChange = { ...held.releaseConfiguration };
  if (changes?.grayscale) configuration.colorMode = 'grayscale';
  if (changes?.duplex) configuration.duplexMode = 'flipOnLongEdge';
  // Fewer copies only: never more than the policy allowed, nor than the user sent (1 when unstated).
  if (changes?.copies !== undefined) {
    const ceiling = configuration.copies ?? held.copies ?? 1;
    if (changes.copies < ceiling) configuration.copies = changes.copies;
  }
  return Object.keys(configuration).length > 0 ? configuration : undefined;
}

/**
 * Claims each of a user's held jobs (an etag-guarded delete of the hold, so only one caller ever
 * gets a job, whatever is clicked twice, retried or raced against expiry) and acts on it. If the
 * action fails, the hold is put back: the job stays held and the answer says why.
 */
async function forEachClaimed(
  deps: ReleaseDependencies,
  owner: HoldOwner,
  taskIds: string[],
  act: (held: HeldJob, log: Log) => Promise<ReleaseResult>,
  explain: (error: unknown) => string,
  claimOther?: (taskId: string) => Promise<HeldJob | undefined>,
): Promise<ReleaseResult[]> {
  const results: ReleaseResult[] = [];
  for (const taskId of taskIds) {
    // The user's own job, else (release only) one a delegation lets them release for its owner.
    let held: HeldJob | undefined;
    try {
      held = (await deps.holds.claim(owner, taskId)) ?? (await claimOther?.(taskId));
    } catch (error) {
      // Storage failed before anything was done to this job: it stays held; the others are still answered.
      deps.log.warn('hold.claim-failed', { taskId, detail: errorText(error) });
      results.push({
        taskId,
        status: 'failed',
        reason: 'Your job could not be reached just now; it is still held, try again in a moment.',
      });
      continue;
    }
    if (!held) {
      results.push({ taskId, status: 'not-found' });
      continue;
    }
    const log = deps.log.with({ correlationId: held.correlationId, taskId });
    try {
      results.push(await act(held, log));
    } catch (error) {
      if (error instanceof JobVanished) {
        await endVanishedHold(deps, held, error.message);
        results.push({ taskId, status: 'expired', reason: VANISHED_REASON });
        continue;
      }
      await deps.holds.add(held);
      const failure = classifyGraphError(error);
      log.warn('hold.action-failed', {
        status: 'status' in failure ? failure.status : undefined,
        detail: failure.message,
      });
      results.push({ taskId, status: 'failed', reason: explain(error) });
    }
  }
  return results;
}

/** The job is gone from Graph (404 on it): its hold ends instead of being put back. */
class JobVanished extends Error {}

/** Runs a Graph call on a held job; a 404, confirmed by the job's own 404, means Universal Print deleted it. */
async function onHeldJob<T>(api: PrintApi, held: HeldJob, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (classifyGraphError(error).kind === 'not-found' && (await isGone(api, held)))
      throw new JobVanished(`${what} answered 404`);
    throw error;
  }
}

/**
 * Releases a user's held jobs at a printer: the job is redirected there (Graph completes the task),
 * or, if the user chose the physical printer it was sent to, its task is completed. A pull queue
 * (a virtual printer) is never a place to release to: nothing would come out. That is refused with
 * `ReleasePrinterRefused` before anything is claimed, and so is a printer that cannot print now
 * (`PrinterNotReady`); a failure to read the printer is thrown.
 */
export async function releaseHeldJobs(
  deps: ReleaseDependencies,
  request: {
    owner: HoldOwner;
    taskIds: string[];
    printerId: string;
    changes?: UserChanges;
    via: string;
    /** Claims a job of someone else's that the user may release for them (src/release/delegation.ts). */
    claimForOwner?: (taskId: string) => Promise<HeldJob | undefined>;
    /** Who is releasing, for the audit of a release for someone else (a UPN or name). */
    actorName?: string;
  },
): Promise<ReleaseResult[]> {
  const allowed =
    !deps.releasePrinters || deps.releasePrinters.some((id) => id.toLowerCase() === request.printerId.toLowerCase());
  if (!allowed) {
    // Nothing is claimed: every job stays held.
    return request.taskIds.map((taskId) => ({
      taskId,
      status: 'failed' as const,
      reason: 'That printer is not a release printer.',
    }));
  }
  if (await printerKindsFor(deps.api).isPullQueue(request.printerId, deps.api)) {
    throw new ReleasePrinterRefused(
      'That is a pull queue, which prints nothing: choose the printer where you want to collect your jobs.',
    );
  }
  // Out of paper, jammed, stopped…: refused before any claim, so every job stays held. A failed read is thrown (503).
  const readiness = await deps.printerReadiness?.(request.printerId);
  if (readiness && !readiness.ready) throw new PrinterNotReady(request.printerId, readiness);
  return forEachClaimed(
    deps,
    request.owner,
    request.taskIds,
    async (held, log) => {
      // Released by a delegate or the colleague it was handed to: the audit says who, for whom.
      const forOwner = !ownsHold(request.owner, held);
      if (held.releaseAt && !held.releaseAt.some((id) => id.toLowerCase() === request.printerId.toLowerCase()))
        throw new NotReleasableHere(held.releaseAt);
      const configuration = configurationFor(held, request.changes);
      let newJobId = held.jobId;
      if (request.printerId.toLowerCase() === held.printerId.toLowerCase()) {
        // Its own printer is a physical one (checked above): completing the task prints it there.
        if (configuration)
          await onHeldJob(deps.api, held, 'updating the job', () =>
            deps.api.updateJobConfiguration(held.printerId, held.jobId, configuration),
          );
        await onHeldJob(deps.api, held, 'completing the task', () =>
          deps.api.setTaskState(
            held.taskDefinitionId,
            held.taskId,
            'completed',
            `Released by ${forOwner ? 'a delegate' : 'its owner'} (${request.via})`,
          ),
        );
      } else {
        const moved = await onHeldJob(deps.api, held, 'the redirect', () =>
          deps.api.redirectJob(held.printerId, held.jobId, request.printerId, configuration),
        );
        newJobId = moved.id;
      }
      const copiesBefore = held.releaseConfiguration?.copies ?? held.copies ?? 1;
      const detail = `released to printer ${request.printerId} via ${request.via}`;
      await finish(
        deps,
        held,
        'hold-released',
        forOwner ? `${detail}, released by ${request.actorName ?? 'a delegate'} for ${held.ownerUpn}` : detail,
        {
          copiesBefore,
          copiesAfter: configuration?.copies ?? copiesBefore,
          grayscale: request.changes?.grayscale === true,
        },
      );
      log.info('hold.released', { printerId: request.printerId, newJobId, via: request.via });
      return { taskId: held.taskId, status: 'released', printerId: request.printerId, newJobId };
    },
    (error) => {
      if (error instanceof NotReleasableHere) return error.message;
      const failure = classifyGraphError(error);
      return releaseFailureReason(failure.kind, 'status' in failure ? failure.status : undefined);
    },
    request.claimForOwner,
  );
}

/** A hold the policy ties to certain printers, asked for elsewhere: it stays held. */
class NotReleasableHere extends Error {
  constructor(readonly releaseAt: string[]) {
    super(
      `This job can only be printed at ${releaseAt.length === 1 ? 'the printer' : 'one of the printers'} its policy names; it is still held.`,
    );
  }
}

/** Deletes a user's held jobs: the job is aborted (the user sees why) and the task closed. */
export function deleteHeldJobs(
  deps: ReleaseDependencies,
  request: { owner: HoldOwner; taskIds: string[] },
): Promise<ReleaseResult[]> {
  const reason = 'Deleted by its owner before it was released.';
  return forEachClaimed(
    deps,
    request.owner,
    request.taskIds,
    async (held, log) => {
      await deps.api.abortJob(held.printerId, held.jobId, reason).catch((error: unknown) => {
        const kind = classifyGraphError(error).kind;
        if (kind !== 'not-found' && kind !== 'conflict') throw error;
      });
      await closeTaskIfOpen(deps.api, held, 'aborted', reason, log);
      await finish(deps, held, 'hold-deleted', 'deleted by its owner');
      log.info('hold.deleted');
      return { taskId: held.taskId, status: 'deleted' };
    },
    (error) => `The job could not be deleted (${classifyGraphError(error).message}); it is still held.`,
  );
}

function releaseFailureReason(kind: string, status?: number): string {
  if (kind === 'throttled' || kind === 'transient')
    return `The printer service is busy${status ? ` (${status})` : ''}; your job is still held, try again in a moment.`;
  if (kind === 'conflict')
    return 'That printer cannot take this job now (it may be offline or not accepting jobs); your job is still held.';
  if (kind === 'forbidden')
    return 'Release Gate is not allowed to move jobs to that printer; ask your administrator. Your job is still held.';
  return 'The job could not be released; it is still held.';
}

/**
 * The job has already been released or deleted at Graph: a settlement that keeps failing must not
 * put the hold back (the job would then be released again, or taken for vanished). It is tried a
 * few times; then the reservation is kept (it still counts: usage is never under-counted) and
 * logged for an admin (`quota.settle-failed`).
 */
async function settleOrKeep(
  deps: Pick<ReleaseDependencies, 'usageStore' | 'log'>,
  record: Parameters<typeof settleCharges>[1],
  how: ReturnType<typeof settlementOf>,
  final: ChargeItem[] | undefined,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await settleCharges(deps.usageStore, record, how, final);
    } catch (error) {
      if (attempt >= SETTLE_ATTEMPTS) {
        deps.log.error('quota.settle-failed', { jobId: record.jobId, how, detail: errorText(error) });
        return;
      }
    }
  }
}
const SETTLE_ATTEMPTS = 3;

/**
 * Records how a hold ended. The job's quota charge is settled from the journal first (confirmed
 * for what printed, with the user's reductions; cancelled otherwise), so nothing that ends the hold
 * can leave it unsettled once the task is marked done.
 */
async function finish(
  deps: Pick<ReleaseDependencies, 'audit' | 'tasks' | 'now' | 'usageStore' | 'log'>,
  held: HeldJob,
  outcome: 'hold-released' | 'hold-deleted' | 'hold-vanished',
  detail: string,
  less?: Parameters<typeof chargesForLess>[1],
): Promise<void> {
  const now = (deps.now ?? (() => new Date()))();
  const prior = await deps.audit.find(held.receivedAt, held.taskId);
  if (prior?.quotaCharges) {
    const final = less ? chargesForLess(prior.quotaCharges.items, less) : undefined;
    await settleOrKeep(deps, prior, settlementOf(outcome), final);
  }
  await deps.tasks.mark(held.taskDefinitionId, held.taskId, 'done', now, outcome);
  if (prior) await deps.audit.write({ ...prior, outcome, detail, completedAt: now.toISOString() });
}

import { z } from 'zod';
import { errorResponse, type HttpRequestLike, type HttpResponseLike } from '../http/http-types';
import { BODY_LIMITS } from '../http/body-cap';
import { firstIssue, readJsonBody } from '../http/json-body';
import { GUID_PATTERN, SAFE_SEGMENT_PATTERN } from '../graph/ids';
import { PinRejected, type PinStore } from './pin-store';
import type { ReleasePrinter } from './release-printers';
import { PrinterAccessUnavailable, type PrinterAccessCheck } from './printer-access';
import type { SignedInUser } from './user-token';
import { signedInUser } from './release-auth';
import type { HeldJob, HoldOwner } from '../holds/hold-store';
import type { DelegationStore } from './delegation-store';
import { delegatedClaimer } from './delegation';
import { delegatedJobViews } from './delegated-jobs';
import { quotasAnswer, type QuotaStandingsReader } from './quota-standings';
import { classifyGraphError } from '../graph/graph-errors';
import { errorText } from '../observability/log';
import { PrinterNotReady, nearestReadyPrinters } from './printer-readiness';
import type { UserActionLog } from '../audit/user-action-log';
import { keepLonger } from '../holds/keep-longer';
import {
  ReleasePrinterRefused,
  deleteHeldJobs,
  listHeldJobs,
  releaseHeldJobs,
  type ReleaseDependencies,
  type ReleaseResult,
} from './release-held-jobs';

const taskIds = z.array(z.string().regex(SAFE_SEGMENT_PATTERN)).min(1).max(50);
const releaseBody = z.strictObject({
  taskIds,
  printerId: z.string().regex(GUID_PATTERN, 'a printer id'),
  changes: z
    .strictObject({
      copies: z.number().int().min(1).max(999).optional(),
      grayscale: z.boolean().optional(),
      duplex: z.boolean().optional(),
    })
    .optional(),
});
const deleteBody = z.strictObject({ taskIds });
// The PIN rules (length, banned PINs) are the PIN store's: src/release/pin-policy.ts.
const pinBody = z.strictObject({ pin: z.string().max(64) });

export interface ReleaseApiDependencies extends ReleaseDependencies {
  verifyUser: (authorization: string | null) => Promise<SignedInUser>;
  pins: PinStore;
  /** Where held jobs may come out, with names and locations (for the page's printer list). */
  listReleasePrinters: () => Promise<ReleasePrinter[]>;
  /**
   * Without declared release printers: which printers the user could print to directly (their
   * Universal Print share access). Required then; declared release printers are open to every user.
   */
  printerAccess?: PrinterAccessCheck;
  /** Where the user stands on the policy's quotas; without it the jobs list has no quota part. */
  quotaStandings?: QuotaStandingsReader;
  /** Delegates and hand-overs (RELEASE_GATE_DELEGATION=on); without it only owners see and release their jobs. */
  delegation?: DelegationStore;
  /** Audit of what users did on the page (keep longer, delegates): RELEASE_GATE_USER_ACTION_TABLE. */
  userActions?: UserActionLog;
}

/** 503: share access could not be read; nothing was decided, nothing claimed. */
const accessUnavailable = () =>
  errorResponse(
    503,
    'busy',
    'Printer access cannot be checked right now; your jobs are still held, try again in a moment.',
    {
      'retry-after': '5',
    },
  );

/**
 * The release page's API: the signed-in user's held jobs, release them at a printer, delete them.
 * Every call carries the user's Entra ID token (verified here); the user's identity comes only from
 * it, so a user can never see or touch another's jobs. A cross-site request (an Origin that is not
 * this site) is refused.
 */
export async function handleReleaseApi(
  action: 'list' | 'printers' | 'release' | 'delete' | 'pin' | 'keep',
  request: HttpRequestLike,
  deps: ReleaseApiDependencies,
): Promise<HttpResponseLike> {
  const signedIn = await signedInUser(request, deps.verifyUser);
  if ('refused' in signedIn) return signedIn.refused;
  const user = signedIn.user;
  // Identity is the object id alone; the UPN only finds holds stored before object-id keys.
  const owner: HoldOwner = { id: user.objectId, userPrincipalName: user.userPrincipalName };
  const headers = { 'cache-control': 'no-store' };
  const token = request.headers.get('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? '';
  /** The printers among these the user may release to: declared release printers, or their shares. */
  const usable = async (printerIds: string[]): Promise<Set<string>> => {
    if (deps.releasePrinters) return new Set(printerIds);
    if (!deps.printerAccess) return new Set(); // fail closed: no way to check share access
    return deps.printerAccess(user, token, printerIds);
  };
  if (action === 'printers') {
    const printers = await deps.listReleasePrinters();
    let allowed: Set<string>;
    try {
      allowed = await usable(printers.map((p) => p.id));
    } catch (error) {
      if (error instanceof PrinterAccessUnavailable) return accessUnavailable();
      throw error;
    }
    const shown = printers.filter((p) => allowed.has(p.id));
    return { status: 200, headers, jsonBody: { printers: await withReadiness(shown, deps) } };
  }
  if (action === 'list') {
    const [held, quotas, delegated] = await Promise.all([
      listHeldJobs(deps, owner),
      deps.quotaStandings && quotasAnswer(deps.quotaStandings, user, deps.log),
      // Others' jobs are extra: a delegation-table outage leaves the user's own list working.
      deps.delegation &&
        delegatedJobViews({ holds: deps.holds, delegation: deps.delegation }, user.objectId).catch((error: unknown) => {
          deps.log.warn('release.delegated-list-failed', { detail: errorText(error) });
          return undefined;
        }),
    ]);
    return {
      status: 200,
      headers,
      jsonBody: {
        user: user.userPrincipalName ?? user.name ?? user.objectId,
        ...held,
        ...(delegated ? { delegated } : {}),
        ...(quotas ? { quotas } : {}),
      },
    };
  }

  const maxBytes = BODY_LIMITS.releaseApi;
  if (action === 'release') {
    const body = await readJsonBody(request, releaseBody, { maxBytes });
    if (!body.ok) return body.response;
    try {
      if (!(await usable([body.data.printerId])).has(body.data.printerId))
        return errorResponse(
          403,
          'printer_not_allowed',
          'You may not print to that printer (Universal Print does not share it with you); your jobs are still held.',
        );
    } catch (error) {
      if (error instanceof PrinterAccessUnavailable) return accessUnavailable();
      throw error;
    }
    // Jobs released for someone else (delegation on): audited per job once released.
    const forOwners = new Map<string, HeldJob>();
    const claimer =
      deps.delegation &&
      delegatedClaimer(
        { holds: deps.holds, delegation: deps.delegation },
        {
          id: user.objectId,
        },
      );
    const claimForOwner =
      claimer &&
      (async (taskId: string) => {
        const claimed = await claimer(taskId);
        if (claimed) forOwners.set(taskId, claimed.held);
        return claimed?.held;
      });
    const released = await releaseOrRefuse(() =>
      releaseHeldJobs(deps, {
        owner,
        ...body.data,
        via: 'release page',
        ...(claimForOwner ? { claimForOwner, actorName: user.userPrincipalName ?? user.objectId } : {}),
      }),
    );
    if ('refused' in released) {
      if (released.notReady) return withAlternatives(released.refused, released.notReady, deps, usable);
      return released.refused;
    }
    await auditReleasesForOwners(deps, user, released.results, forOwners);
    return { status: 200, headers, jsonBody: { results: released.results } };
  }
  if (action === 'pin') {
    const body = await readJsonBody(request, pinBody, { maxBytes, explain: firstIssue });
    if (!body.ok) return body.response;
    try {
      await deps.pins.setPin({ objectId: user.objectId, userPrincipalName: user.userPrincipalName }, body.data.pin);
    } catch (error) {
      if (error instanceof PinRejected) return errorResponse(400, 'weak_pin', `pin: ${error.message}`);
      throw error;
    }
    return { status: 204, headers };
  }
  if (action === 'keep') {
    const body = await readJsonBody(request, deleteBody, { maxBytes });
    if (!body.ok) return body.response;
    return { status: 200, headers, jsonBody: { results: await keepLonger(deps, user, body.data.taskIds) } };
  }
  const body = await readJsonBody(request, deleteBody, { maxBytes });
  if (!body.ok) return body.response;
  return {
    status: 200,
    headers,
    jsonBody: {
      results: await deleteHeldJobs(deps, { owner, taskIds: body.data.taskIds }),
    },
  };
}

/** Each job released for its owner by someone else, in the user action audit (best effort: it is released). */
async function auditReleasesForOwners(
  deps: ReleaseApiDependencies,
  user: SignedInUser,
  results: ReleaseResult[],
  forOwners: Map<string, HeldJob>,
): Promise<void> {
  for (const result of results) {
    const held = forOwners.get(result.taskId);
    if (!held || result.status !== 'released') continue;
    await deps.userActions
      ?.write({
        at: (deps.now ?? (() => new Date()))().toISOString(),
        action: 'released-for-owner',
        actor: { id: user.objectId, ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}) },
        owner: { id: held.ownerId, userPrincipalName: held.ownerUpn },
        taskId: held.taskId,
        jobId: held.jobId,
        printerId: result.printerId,
        detail: `released by ${user.userPrincipalName ?? user.objectId} for ${held.ownerUpn}`,
      })
      .catch((error: unknown) => deps.log.warn('user-action.not-recorded', { detail: errorText(error) }));
  }
}

/**
 * A release, or the 4xx/503 that says why nothing was released: the chosen printer is a pull queue
 * (400 `not_a_printer`), it does not exist (400 `unknown_printer`), it cannot print now (409
 * `printer_not_ready`, with the reason), or Graph could not be asked (503).
 * Nothing was claimed in those cases: every job is still held.
 */
export async function releaseOrRefuse(
  release: () => Promise<ReleaseResult[]>,
  refusedStatus = 400,
): Promise<{ results: ReleaseResult[] } | { refused: HttpResponseLike; notReady?: PrinterNotReady }> {
  try {
    return { results: await release() };
  } catch (error) {
    // 409 wherever asked from: the request was right, the printer is not (out of paper, jammed, stopped…).
    if (error instanceof PrinterNotReady)
      return {
        refused: {
          status: 409,
          headers: { 'cache-control': 'no-store' },
          jsonBody: { error: { code: error.code, message: error.message, reason: error.readiness.reason } },
        },
        notReady: error,
      };
    if (error instanceof ReleasePrinterRefused)
      return { refused: errorResponse(refusedStatus, error.code, error.message) };
    const failure = classifyGraphError(error);
    if (failure.kind === 'not-found')
      return {
        refused: errorResponse(
          refusedStatus,
          'unknown_printer',
          'That printer does not exist; your jobs are still held.',
        ),
      };
    if (failure.kind === 'forbidden') throw error;
    return {
      refused: errorResponse(
        503,
        'busy',
        'The printer service is busy; your jobs are still held, try again in a moment.',
        {
          'retry-after': '5',
        },
      ),
    };
  }
}

/**
 * The page's printer list with each printer's readiness: `ready: false` and the reason for one that
 * cannot print now (the page greys it out). A status that cannot be read now leaves the printer as
 * it was (a release there still checks, and says "busy" if it still cannot read it).
 */
const READINESS_READS_AT_ONCE = 8;

async function withReadiness(
  printers: ReleasePrinter[],
  deps: ReleaseApiDependencies,
): Promise<(ReleasePrinter & { ready?: boolean; reason?: string })[]> {
  const check = deps.printerReadiness;
  if (!check) return printers;
  const marked: (ReleasePrinter & { ready?: boolean; reason?: string })[] = [];
  // A few status reads at a time: a cold cache on a long printer list must not spend the app's Graph budget at once.
  for (let start = 0; start < printers.length; start += READINESS_READS_AT_ONCE) {
    const batch = printers.slice(start, start + READINESS_READS_AT_ONCE);
    marked.push(
      ...(await Promise.all(
        batch.map(async (p) => {
          const readiness = await check(p.id).catch(() => undefined);
          if (!readiness) return p;
          return readiness.ready ? { ...p, ready: true } : { ...p, ready: false, reason: readiness.reason };
        }),
      )),
    );
  }
  return marked;
}

/** The 409 with up to three ready printers nearby that the user may release to. */
async function withAlternatives(
  refused: HttpResponseLike,
  notReady: PrinterNotReady,
  deps: ReleaseApiDependencies,
  usable: (printerIds: string[]) => Promise<Set<string>>,
): Promise<HttpResponseLike> {
  let alternatives: ReleasePrinter[] = [];
  try {
    const printers = await deps.listReleasePrinters();
    const allowed = await usable(printers.map((p) => p.id));
    const target = printers.find((p) => p.id.toLowerCase() === notReady.printerId.toLowerCase());
    if (target && deps.printerReadiness)
      alternatives = await nearestReadyPrinters(
        target,
        printers.filter((p) => allowed.has(p.id)),
        deps.printerReadiness,
      );
  } catch (error) {
    // The refusal stands without suggestions; nothing was claimed either way.
    deps.log.warn('release.alternatives-unavailable', { printerId: notReady.printerId, detail: errorText(error) });
  }
  const body = refused.jsonBody as { error: Record<string, unknown> };
  return {
    ...refused,
    jsonBody: {
      error: {
        ...body.error,
        alternatives: alternatives.map((p) => ({
          id: p.id,
          displayName: p.displayName,
          ...(p.location ? { location: p.location } : {}),
        })),
      },
    },
  };
}

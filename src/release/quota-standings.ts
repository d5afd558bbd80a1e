import { describeError, type Log } from '../observability/log';
import type { JobCost, QuotaDefinition, QuotaMeasure, QuotaStanding, UsageStore } from '../quota/quota-model';
import { userKeyOf } from '../quota/quota-model';
import { quotaPeriodsFor, standingsFor } from '../quota/standings';
import type { SignedInUser } from './user-token';

/** One quota as the release page shows it: "Colour copies this term (Autumn 2026): 150 of 200 used, 50 left". */
export interface QuotaView {
  quota: string;
  measure: QuotaMeasure;
  used: number;
  limit: number;
  remaining: number;
  reached: boolean;
  period: { label: string; end: string };
}

/** The quota part of the jobs list: the user's standings, or why they cannot be shown now. */
export type QuotasAnswer = { standings: QuotaView[] } | { unavailable: string };

export const QUOTAS_UNAVAILABLE = 'Your print quota cannot be shown right now; printing is not affected.';

type MaybePromise<T> = T | Promise<T>;

/** Reads where a signed-in user stands on every quota that applies to them now. */
export type QuotaStandingsReader = (user: SignedInUser) => Promise<QuotaView[]>;

/** Nothing: standings of the user, not of a job, so no measure has a cost and nothing "would exceed". */
const NO_COST: JobCost = {
  jobs: 0,
  copies: 0,
  colorJobs: 0,
  colorCopies: 0,
  pages: 0,
  colorPages: 0,
  pagesFrom: 'copies',
};

/**
 * Standings from the policy's declared quotas (read on every call: a reloaded policy may declare
 * others), the usage store, and group membership through the same Graph look-up the processor uses,
 * so the page shows exactly what the next decision would see (used = confirmed + reserved).
 */
export function quotaStandingsReader(deps: {
  /** Async for a policy file not read yet (it is read then, as for a decision). */
  quotas: () => MaybePromise<{ definitions: readonly QuotaDefinition[]; timeZone: string } | undefined>;
  usage: UsageStore;
  memberOf: (userId: string, groupIds: readonly string[]) => Promise<Set<string>>;
  now?: () => Date;
}): QuotaStandingsReader {
  return async (user) => {
    const quotas = await deps.quotas();
    if (!quotas || quotas.definitions.length === 0) return [];
    const now = deps.now?.() ?? new Date();
    const owner = { id: user.objectId, userPrincipalName: user.userPrincipalName };
    const periods = quotaPeriodsFor(quotas.definitions, now, quotas.timeZone);
    const counters = periods.length > 0 ? await deps.usage.read(userKeyOf(owner)!, periods) : [];
    const standings = await standingsFor({
      ...quotas,
      now,
      owner,
      memberOf: (groupIds) => deps.memberOf(user.objectId, groupIds),
      cost: NO_COST,
      counters,
    });
    // In the order the policy declares them.
    return quotas.definitions.flatMap((d) => {
      const standing = standings.get(d.name);
      return standing ? [viewOf(standing)] : [];
    });
  };
}

function viewOf(standing: QuotaStanding): QuotaView {
  return {
    quota: standing.quota,
    measure: standing.measure,
    used: standing.used,
    limit: standing.limit,
    remaining: standing.remaining,
    reached: standing.reached,
    period: { label: standing.period.label, end: standing.period.end },
  };
}

/**
 * The quota part of the answer. A failure to read usage or membership never breaks the jobs list
 * (the user can still release): the part then says it is unavailable, and the failure is logged.
 */
export async function quotasAnswer(read: QuotaStandingsReader, user: SignedInUser, log: Log): Promise<QuotasAnswer> {
  try {
    return { standings: await read(user) };
  } catch (error) {
    log.warn('release.quotas-unavailable', describeError(error));
    return { unavailable: QUOTAS_UNAVAILABLE };
  }
}

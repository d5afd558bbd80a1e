import { periodAt } from './periods';
import { costIn } from './job-cost';
import type { ChargeItem, JobCost, PeriodWindow, QuotaDefinition, QuotaStanding, UsageCounter } from './quota-model';

/**
 * Which quotas apply to a job's owner and where the owner stands on them. Pure: the caller reads
 * the counters from the usage store and passes a group look-up (Graph, cached by the policy context).
 */

/** Which of these groups (object ids) the owner is a member of. */
export type MemberOf = (groupIds: readonly string[]) => Promise<Set<string>>;

export interface Owner {
  id?: string;
  userPrincipalName?: string;
}

export interface ApplicabilityInput {
  definitions: readonly QuotaDefinition[];
  timeZone: string;
  now: Date;
  owner: Owner;
  memberOf: MemberOf;
}

export interface ApplicableQuota {
  definition: QuotaDefinition;
  period: PeriodWindow;
  /** The quota's groups the owner is counted through (absent when the quota names the owner, or everyone). */
  viaGroups?: string[];
}

const patterns = new Map<string, RegExp>();
/** A UPN pattern: case-insensitive, `*` a wildcard (as in rule conditions). */
function upnPattern(pattern: string): RegExp {
  let regex = patterns.get(pattern);
  if (!regex) {
    regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
    patterns.set(pattern, regex);
  }
  return regex;
}

/**
 * The quotas that apply to the owner now: in a period (a term quota outside its terms does not
 * apply), and for everyone, or naming the owner's UPN, or one of the owner's groups. Groups are
 * looked up once, together, and only for quotas that did not already name the owner.
 */
export async function applicableQuotas(input: ApplicabilityInput): Promise<ApplicableQuota[]> {
  const upn = input.owner.userPrincipalName;
  const inPeriod = input.definitions.flatMap((definition) => {
    const period = periodAt(definition.period, input.now, input.timeZone);
    return period ? [{ definition, period }] : [];
  });
  const named = (d: QuotaDefinition) => !!upn && !!d.users?.some((p) => upnPattern(p).test(upn));
  const forEveryone = (d: QuotaDefinition) => !d.users?.length && !d.groups?.length;
  const groupsToAsk = [
    ...new Set(
      inPeriod
        .filter(({ definition: d }) => !forEveryone(d) && !named(d))
        .flatMap(({ definition: d }) => d.groups ?? []),
    ),
  ];
  // A failed look-up throws: a quota is never skipped because Graph did not answer.
  const member = groupsToAsk.length ? await input.memberOf(groupsToAsk) : new Set<string>();
  const isMember = (g: string) => [...member].some((m) => m.toLowerCase() === g.toLowerCase());
  return inPeriod.flatMap(({ definition, period }) => {
    if (forEveryone(definition) || named(definition)) return [{ definition, period }];
    const viaGroups = (definition.groups ?? []).filter(isMember);
    return viaGroups.length ? [{ definition, period, viaGroups }] : [];
  });
}

/** The quota periods to read from the usage store for this instant (every quota in a period now). */
export function quotaPeriodsFor(
  definitions: readonly QuotaDefinition[],
  now: Date,
  timeZone: string,
): { quota: string; periodKey: string }[] {
  return definitions.flatMap((d) => {
    const period = periodAt(d.period, now, timeZone);
    return period ? [{ quota: d.name, periodKey: period.key }] : [];
  });
}

export interface StandingsInput extends ApplicabilityInput {
  /** What this job costs (as submitted, or after the decision's changes). */
  cost: JobCost;
  /** The owner's counters for the periods {@link quotaPeriodsFor} names (missing ones count as zero). */
  counters: readonly UsageCounter[];
}

/** Where the owner stands on one quota, from its counter (limit includes top-ups; used = confirmed + reserved). */
export function standingOf(
  definition: QuotaDefinition,
  period: PeriodWindow,
  counter: UsageCounter | undefined,
  cost: JobCost,
): QuotaStanding {
  const limit = definition.limit + (counter?.topUp ?? 0);
  const used = (counter?.confirmed ?? 0) + (counter?.reserved ?? 0);
  const thisJob = costIn(cost, definition.measure);
  return {
    quota: definition.name,
    measure: definition.measure,
    limit,
    used,
    remaining: Math.max(0, limit - used),
    cost: thisJob,
    reached: used >= limit,
    wouldExceed: used + thisJob > limit,
    period,
  };
}

/** The owner's standing on every quota that applies now, by quota name. */
export async function standingsFor(input: StandingsInput): Promise<Map<string, QuotaStanding>> {
  const applicable = await applicableQuotas(input);
  const standings = new Map<string, QuotaStanding>();
  for (const { definition, period } of applicable) {
    const counter = input.counters.find((c) => c.quota === definition.name && c.periodKey === period.key);
    standings.set(definition.name, standingOf(definition, period, counter, input.cost));
  }
  return standings;
}

/**
 * What to reserve for a job that will print with `cost` (the configuration after the decision's
 * changes): one item per applicable quota it costs something in.
 */
export async function chargeItemsFor(input: ApplicabilityInput & { cost: JobCost }): Promise<ChargeItem[]> {
  const applicable = await applicableQuotas(input);
  return applicable.flatMap(({ definition, period, viaGroups }) => {
    const amount = costIn(input.cost, definition.measure);
    if (amount <= 0) return [];
    return [
      {
        quota: definition.name,
        periodKey: period.key,
        periodLabel: period.label,
        measure: definition.measure,
        amount,
        limit: definition.limit,
        ...(viaGroups?.length ? { viaGroups } : {}),
      },
    ];
  });
}

/** A policy's quotas: what a ReleasePolicy declares and the time zone its periods are in. */
export interface PolicyQuotas {
  definitions: readonly QuotaDefinition[];
  timeZone: string;
}

/** Answers "where does the owner stand on quota X?" for one decision; undefined: it does not apply. */
export type QuotaLookup = (name: string) => Promise<QuotaStanding | undefined>;

/**
 * A {@link QuotaLookup} for one decision that reads the store once, on the first question, and
 * only if the policy asks. `quotas` is read then too (a reloaded policy file may have new ones).
 * A name the policy does not declare throws: a misspelled quota must not read as "does not apply".
 */
export function lazyQuotaLookup(
  input: Omit<StandingsInput, 'definitions' | 'timeZone' | 'counters'> & {
    quotas: () => PolicyQuotas | undefined;
    read(periods: { quota: string; periodKey: string }[]): Promise<UsageCounter[]>;
  },
): QuotaLookup {
  let standings: Promise<{ declared: Set<string>; map: Map<string, QuotaStanding> }> | undefined;
  const load = async () => {
    const quotas = input.quotas();
    if (!quotas) throw new Error('The policy declares no quotas');
    const periods = quotaPeriodsFor(quotas.definitions, input.now, quotas.timeZone);
    const counters = periods.length ? await input.read(periods) : [];
    const map = await standingsFor({ ...input, ...quotas, counters });
    return { declared: new Set(quotas.definitions.map((d) => d.name)), map };
  };
  return async (name) => {
    standings ??= load();
    // A failed read is not kept: the next question (a retry) reads again.
    const { declared, map } = await standings.catch((error: unknown) => {
      standings = undefined;
      throw error;
    });
    if (!declared.has(name))
      throw new Error(`No quota is named "${name}"; the policy declares: ${[...declared].join(', ') || 'none'}`);
    return map.get(name);
  };
}

import type { AdminAction, ChargeItem, ReserveResult, UsageCounter } from './quota-model';

/**
 * The counting rules both usage stores share (memory and table), so they cannot drift apart: which
 * counters a charge touches, whether it fits, and how reserving, confirming, cancelling, topping up
 * and resetting change a counter. Pure functions on plain values; the stores add storage.
 */

/** What a job's charge row remembers: its items, and whether it is still reserved. */
export type ChargeState = 'reserved' | 'confirmed' | 'cancelled';
export interface Charge {
  state: ChargeState;
  items: ChargeItem[];
  /** When the charge was reserved (ISO). */
  at: string;
}

/** A transient storage conflict outlasted its retries: try the whole job again later; never a decision. */
export class UsageStoreBusyError extends Error {
  override name = 'UsageStoreBusyError';
  readonly retryable = true;
}

/** Bad input to a usage store (a programming or admin error): the message echoes the value and the rule. */
export class UsageInputError extends Error {
  override name = 'UsageInputError';
}

export const counterId = (quota: string, periodKey: string) => JSON.stringify([quota, periodKey]);

export function emptyCounter(userKey: string, quota: string, periodKey: string): UsageCounter {
  return { userKey, quota, periodKey, confirmed: 0, reserved: 0, topUp: 0 };
}

function wholeNumber(what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min)
    throw new UsageInputError(`${what} ${String(value)} is not a whole number of at least ${min}.`);
}

function nonEmpty(what: string, value: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw new UsageInputError(`${what} "${value}" is empty.`);
}

/** One counter's share of a charge: the items for one quota period, amounts added up. */
export interface CounterCharge {
  quota: string;
  periodKey: string;
  amount: number;
  /** The first item's descriptive fields (label, measure, base limit, groups merged). */
  item: ChargeItem;
}

/** The counters a charge touches, each once (items of one quota period are added up). */
export function counterCharges(userKey: string, jobId: string, items: ChargeItem[]): CounterCharge[] {
  nonEmpty('The user key', userKey);
  nonEmpty('The job id', jobId);
  const byCounter = new Map<string, CounterCharge>();
  for (const item of items) {
    nonEmpty('The quota name', item.quota);
    nonEmpty(`Quota ${item.quota}'s period key`, item.periodKey);
    wholeNumber(`Quota ${item.quota}'s charge`, item.amount, 0);
    wholeNumber(`Quota ${item.quota}'s limit`, item.limit, 0);
    const id = counterId(item.quota, item.periodKey);
    const seen = byCounter.get(id);
    if (seen) {
      seen.amount += item.amount;
      seen.item = { ...seen.item, viaGroups: union(seen.item.viaGroups, item.viaGroups) };
    } else byCounter.set(id, { quota: item.quota, periodKey: item.periodKey, amount: item.amount, item });
  }
  return [...byCounter.values()];
}

function union(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (!a?.length && !b?.length) return a ?? b;
  return [...new Set([...(a ?? []), ...(b ?? [])])].sort();
}

/**
 * The first counter the charge would take over its limit (base limit + this user's top-up), or ok.
 * A zero amount always fits: a job that costs nothing in a measure is never refused for it.
 */
export function firstOverLimit(
  charges: CounterCharge[],
  current: (charge: CounterCharge) => UsageCounter | undefined,
): ReserveResult {
  for (const charge of charges) {
    if (charge.amount === 0) continue;
    const counter = current(charge);
    const used = (counter?.confirmed ?? 0) + (counter?.reserved ?? 0);
    const limit = charge.item.limit + (counter?.topUp ?? 0);
    if (used + charge.amount > limit)
      return { ok: false, quota: charge.quota, periodKey: charge.periodKey, used, limit };
  }
  return { ok: true };
}

/** The counter with this charge reserved, and what the charge says about the quota remembered. */
export function withReserved(
  userKey: string,
  counter: UsageCounter | undefined,
  charge: CounterCharge,
  owner?: { userPrincipalName?: string },
): UsageCounter {
  const base = counter ?? emptyCounter(userKey, charge.quota, charge.periodKey);
  const viaGroups = union(base.viaGroups, charge.item.viaGroups);
  const userPrincipalName = owner?.userPrincipalName ?? base.userPrincipalName;
  return {
    ...base,
    reserved: base.reserved + charge.amount,
    limit: charge.item.limit,
    measure: charge.item.measure,
    periodLabel: charge.item.periodLabel,
    ...(userPrincipalName ? { userPrincipalName } : {}),
    ...(viaGroups ? { viaGroups } : {}),
  };
}

/** The counter once a reserved charge is settled: printed (confirmed) or not (released). */
export function withSettled(
  userKey: string,
  counter: UsageCounter | undefined,
  charge: CounterCharge,
  how: 'confirmed' | 'cancelled',
): UsageCounter {
  const base = counter ?? emptyCounter(userKey, charge.quota, charge.periodKey);
  // A reservation is never below zero, whatever an admin reset did meanwhile.
  const released = Math.min(base.reserved, charge.amount);
  return {
    ...base,
    reserved: base.reserved - released,
    confirmed: how === 'confirmed' ? base.confirmed + charge.amount : base.confirmed,
  };
}

export function checkTopUp(amount: number): void {
  wholeNumber('The top-up', amount, 1);
}

/** The counter with an admin's top-up added (a new counter learns the user's UPN from the action). */
export function withTopUp(counter: UsageCounter, amount: number, action: AdminAction): UsageCounter {
  const userPrincipalName = counter.userPrincipalName ?? action.userPrincipalName;
  return { ...counter, topUp: counter.topUp + amount, ...(userPrincipalName ? { userPrincipalName } : {}) };
}

/** Reset: confirmed usage and top-ups go; reservations of jobs still in flight stay (they settle later). */
export const withReset = (counter: UsageCounter): UsageCounter => ({ ...counter, confirmed: 0, topUp: 0 });

/** Admin actions between from and to (ISO instants, both included), newest first. */
export function inWindow(actions: AdminAction[], filter: { from?: string; to?: string } = {}): AdminAction[] {
  const from = filter.from ? Date.parse(filter.from) : -Infinity;
  const to = filter.to ? Date.parse(filter.to) : Infinity;
  return actions
    .filter((a) => Date.parse(a.at) >= from && Date.parse(a.at) <= to)
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/** A counter filter as the admin command and the report give it. */
export interface CounterFilter {
  quota?: string;
  periodKey?: string;
  userKey?: string;
}

export const matches = (counter: UsageCounter, filter: CounterFilter = {}): boolean =>
  (filter.quota === undefined || counter.quota === filter.quota) &&
  (filter.periodKey === undefined || counter.periodKey === filter.periodKey) &&
  (filter.userKey === undefined || counter.userKey === filter.userKey);

/** Counters in a stable order: user, quota, period. */
export const byUserQuotaPeriod = (a: UsageCounter, b: UsageCounter): number =>
  (a.userPrincipalName ?? a.userKey).localeCompare(b.userPrincipalName ?? b.userKey) ||
  a.quota.localeCompare(b.quota) ||
  a.periodKey.localeCompare(b.periodKey);

/**
 * Print quotas: what a quota is, what a job costs, and where a user stands. Types only, shared by
 * the policy (which decides from standings), the usage store (which counts), the processor (which
 * reserves and settles charges), replay and the admin command. Nothing here reads Graph or storage,
 * and src/quota never imports src/policy (the policy depends on quotas, not the reverse).
 */

/** What a quota counts. Pages are known only when page counting is on or the job names its page ranges. */
export const QUOTA_MEASURES = ['jobs', 'copies', 'colorJobs', 'colorCopies', 'pages', 'colorPages'] as const;
export type QuotaMeasure = (typeof QUOTA_MEASURES)[number];

/** A named term, whole days in the policy's time zone, both ends included. */
export interface QuotaTerm {
  name: string;
  /** YYYY-MM-DD */
  start: string;
  /** YYYY-MM-DD, included */
  end: string;
}

/** Calendar periods in the policy's time zone (weeks are ISO weeks, Monday first), or named terms. */
export type QuotaPeriod = { every: 'day' | 'week' | 'month' } | { terms: QuotaTerm[] };

export interface QuotaDefinition {
  /** Unique in the policy; letters, digits and dashes. Conditions and reasons name it. */
  name: string;
  measure: QuotaMeasure;
  /** Whole number ≥ 0: what each user may use per period (top-ups add to it for one user and period). */
  limit: number;
  period: QuotaPeriod;
  /** Whom it applies to: these users (UPNs, case-insensitive) and members of these groups (object ids). Neither: everyone. */
  users?: string[];
  groups?: string[];
}

/** One period of a quota. Outside every term of a term quota there is none, and the quota does not apply. */
export interface PeriodWindow {
  /** Stable storage key: "2026-12-02", "2026-W49", "2026-12", "term:autumn-2026". */
  key: string;
  /** For people: "today", "this week", "this month", "this term (Autumn 2026)". */
  label: string;
  /** ISO instants; end exclusive. */
  start: string;
  end: string;
}

/** A job's cost in every measure (after any changes the decision makes, e.g. forced grayscale). */
export interface JobCost {
  jobs: number;
  copies: number;
  colorJobs: number;
  colorCopies: number;
  pages: number;
  colorPages: number;
  /** Where the page count came from; `copies` means unknown, charged as one page per copy (a lower bound). */
  pagesFrom: 'document' | 'page-ranges' | 'copies';
}

/** Where the job's owner stands on one quota that applies to them now. */
export interface QuotaStanding {
  quota: string;
  measure: QuotaMeasure;
  /** The quota's limit plus this user's top-ups for this period. */
  limit: number;
  /** Confirmed usage plus other jobs' reservations in this period. */
  used: number;
  remaining: number;
  /** What this job would add (0 if it costs nothing in this measure). */
  cost: number;
  /** used ≥ limit */
  reached: boolean;
  /** used + cost > limit */
  wouldExceed: boolean;
  period: PeriodWindow;
}

/** Usage store rows belong to a user: the owner's object id when Graph gives one, else "upn:" + lower-cased UPN. */
export function userKeyOf(owner: { id?: string | null; userPrincipalName?: string | null }): string | undefined {
  if (owner.id) return owner.id.toLowerCase();
  if (owner.userPrincipalName) return `upn:${owner.userPrincipalName.toLowerCase()}`;
  return undefined;
}

/** One quota's share of a job's charge. */
export interface ChargeItem {
  quota: string;
  periodKey: string;
  periodLabel: string;
  measure: QuotaMeasure;
  amount: number;
  /** The quota's base limit when reserved (the store adds the user's top-ups). */
  limit: number;
  /** The quota's groups the owner was counted through (reports show usage by group without asking Graph). */
  viaGroups?: string[];
  /**
   * The policy decided to print this job knowing it takes the user over this quota (or without
   * asking about it): the store counts it and does not refuse it. Unset: refused over the limit.
   */
  overLimit?: boolean;
}

/** A job's charge as the store keeps it: reserved, then confirmed (it printed) or cancelled (it did not). */
export interface JobCharge {
  state: 'reserved' | 'confirmed' | 'cancelled';
  items: ChargeItem[];
}

/** What the journal (the audit record) keeps of a job's charge, so it can be settled exactly once. */
export interface JournaledCharges {
  userKey: string;
  /** The charge's job key in the usage store ({@link chargeKeyOf}); a redirected job keeps its original's. */
  jobKey: string;
  items: ChargeItem[];
}

/**
 * The key a job's charge is kept under (the usage store's `jobId`): printer and job, since Graph's job
 * ids are numbers that need not be unique across printers.
 */
export const chargeKeyOf = (job: { printerId: string; jobId: string }): string =>
  `${job.printerId.toLowerCase()}/${job.jobId}`;

/** A user's usage of one quota in one period. */
export interface UsageCounter {
  userKey: string;
  userPrincipalName?: string;
  quota: string;
  periodKey: string;
  periodLabel?: string;
  measure?: QuotaMeasure;
  /** Charges of jobs that really printed. */
  confirmed: number;
  /** Charges of jobs decided but not yet printed (held, or being released). */
  reserved: number;
  /** One-off grants by an admin for this period. */
  topUp: number;
  /** The quota's base limit as the last charge gave it (absent until a job was charged). */
  limit?: number;
  /** The quota's groups the user was counted through (from the charges). */
  viaGroups?: string[];
}

export type ReserveResult = { ok: true } | { ok: false; quota: string; periodKey: string; used: number; limit: number };

/** Who did an admin action, and why: kept in the quota table's admin audit. */
export interface AdminAction {
  at: string;
  who: string;
  action: 'top-up' | 'reset';
  userKey?: string;
  userPrincipalName?: string;
  quota: string;
  periodKey: string;
  amount?: number;
  reason?: string;
}

/**
 * Counts usage exactly once per job: a job's charges are reserved (all or none, within each
 * limit + top-up, with optimistic concurrency so two jobs of one user near the limit cannot both
 * pass), then confirmed when the job prints or cancelled when it does not. Every call is
 * idempotent per job id, so retries, redeliveries and a second instance cannot count twice.
 */
export interface UsageStore {
  /** Counters of one user for these quota periods (absent ones read as zero). */
  read(userKey: string, periods: { quota: string; periodKey: string }[]): Promise<UsageCounter[]>;
  /**
   * Reserves a job's charges, all or none. A job already charged (reserved, confirmed or cancelled): ok, nothing
   * charged again, so a late redelivery cannot re-open a settled job. Throws (retryable) rather than guess.
   */
  reserve(
    userKey: string,
    jobId: string,
    items: ChargeItem[],
    owner?: { userPrincipalName?: string },
  ): Promise<ReserveResult>;
  /**
   * The job printed: its reservation becomes usage. Unknown or already confirmed: nothing happens.
   * `items`: the final charge when the job printed with less than was reserved (fewer copies,
   * grayscale at release); each amount counts at most what was reserved for its quota period, never more.
   */
  confirm(userKey: string, jobId: string, items?: ChargeItem[]): Promise<void>;
  /** The job did not print: its reservation is released. A confirmed charge stays. Unknown: nothing happens. */
  cancel(userKey: string, jobId: string): Promise<void>;
  /** The job's own charge, if any (a re-decision leaves it out of the standings it decides from). */
  charge(userKey: string, jobId: string): Promise<JobCharge | undefined>;
  /** Counters matching the filter, for the admin command and the report. */
  list(filter?: { quota?: string; periodKey?: string; userKey?: string }): Promise<UsageCounter[]>;
  /** Adds a one-off allowance for one user, quota and period; audited. */
  topUp(userKey: string, quota: string, periodKey: string, amount: number, action: AdminAction): Promise<UsageCounter>;
  /** Sets confirmed usage and top-ups to zero for one user (or every user) in one quota period; audited. Returns counters reset. */
  reset(filter: { quota: string; periodKey: string; userKey?: string }, action: AdminAction): Promise<number>;
  /** Admin actions, newest first. */
  adminActions(filter?: { from?: string; to?: string }): Promise<AdminAction[]>;
}

/**
 * Replays a candidate release policy over recorded decisions: each job is decided again from the
 * context it was decided from, as of its own time, and the decisions that would change are counted
 * by rule, action, user, printer and hour. A look-up the candidate needs that was not recorded makes
 * the job "not replayable" (counted, with the reason), never guessed.
 */
import type { AuditRecord } from '../../src/audit/audit-log';
import type { Decision, PolicyContext, ReleasePolicy } from '../../src/policy/decision';
import { contextFromRecorded, NotRecordedError } from '../../src/policy/recorded-context';
import { quotaReplayHooks } from './replay-quotas';

/** Called in time order, once per replayable record; by default quota usage is re-accumulated (replay-quotas.ts). */
export interface ReplayHooks {
  /** The context the candidate decides from (e.g. with quota standings as replay has accumulated them). */
  contextFor?(record: AuditRecord, base: PolicyContext): PolicyContext | Promise<PolicyContext>;
  /** The candidate's decision for the record (e.g. to charge what it released). */
  afterDecision?(record: AuditRecord, decision: Decision): void | Promise<void>;
}

export interface ReplayOptions {
  /** Hours of day are counted in this IANA time zone. */
  timeZone: string;
  /** At most this many jobs shown per (old rule → new rule) change. */
  sample: number;
  hooks?: ReplayHooks;
}

export interface ChangedJob {
  jobId: string;
  decidedAt: string;
  user: string;
  printer: string;
  document?: string;
  /** `details`: the action's details when it has any, e.g. { changes: { copies: 5 } }. */
  old: { action: string; rule: string; details?: Record<string, unknown> };
  new: { action: string; rule: string; details?: Record<string, unknown>; reason?: string };
}

export interface RuleChange {
  oldRule: string;
  newRule: string;
  count: number;
  samples: ChangedJob[];
}

export interface ReplayResult {
  policy: string;
  timeZone: string;
  /** Records in the period. */
  total: number;
  replayed: number;
  unchanged: number;
  changed: number;
  notReplayable: { total: number; byReason: Record<string, number> };
  /** Changed decisions, most frequent first. */
  byRuleChange: RuleChange[];
  /** "release → deny": count */
  byActionChange: Record<string, number>;
  byUser: Record<string, number>;
  byPrinter: Record<string, number>;
  /** "00" … "23" in the time zone: count */
  byHour: Record<string, number>;
}

export const NO_CONTEXT_REASON = 'no recorded policy context (decided before contexts were kept, or not by the policy)';

/** What the policy decided for the record: before a pull queue made it a hold; in shadow mode, what was acted on. */
const recordedDecision = (record: AuditRecord): Decision => record.policyDecision ?? record.decision;

/**
 * What a decision does to the job: its action and the action's details (changes, destination, hold).
 * The rule's name and the reason's wording are not compared: renaming a rule changes no job.
 */
export function effectOf(decision: Decision): string {
  return canonicalJson(effect(decision));
}

function effect(decision: Decision): Record<string, unknown> {
  const {
    rule: _rule,
    reason: _reason,
    shadowOf: _shadowOf,
    ...rest
  } = decision as Decision & {
    reason?: string;
    shadowOf?: unknown;
  };
  return rest;
}

/** The action's details (its changes, destination, hold), or undefined for a plain release or deny. */
function detailsOf(decision: Decision): Record<string, unknown> | undefined {
  const { action: _action, ...details } = effect(decision);
  return Object.keys(details).length > 0 ? details : undefined;
}

/** JSON with keys sorted at every level, so equal decisions compare equal. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

function hourIn(timeZone: string): (instant: Date) => string {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' });
  return (instant) => format.format(instant).padStart(2, '0');
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Records in the order they were decided (replay re-accumulates anything order-dependent in it). */
export function inDecisionOrder(records: AuditRecord[]): AuditRecord[] {
  return records
    .map((record) => ({ record, at: Date.parse(record.decidedAt) }))
    .sort((a, b) => a.at - b.at)
    .map(({ record }) => record);
}

export async function replay(
  policy: ReleasePolicy,
  records: AuditRecord[],
  options: ReplayOptions,
): Promise<ReplayResult> {
  const result: ReplayResult = {
    policy: policy.name,
    timeZone: options.timeZone,
    total: records.length,
    replayed: 0,
    unchanged: 0,
    changed: 0,
    notReplayable: { total: 0, byReason: {} },
    byRuleChange: [],
    byActionChange: {},
    byUser: {},
    byPrinter: {},
    byHour: {},
  };
  const changes = new Map<string, RuleChange>();
  const hour = hourIn(options.timeZone);
  // A candidate with quotas decides from the usage it would itself have let build up, in time order.
  const hooks = options.hooks ?? quotaReplayHooks(policy);
  const notReplayable = (reason: string) => {
    result.notReplayable.total++;
    bump(result.notReplayable.byReason, reason);
  };
  for (const record of inDecisionOrder(records)) {
    if (!record.policyContext) {
      notReplayable(NO_CONTEXT_REASON);
      continue;
    }
    const rebuilt = contextFromRecorded(record.policyContext);
    let decision: Decision;
    try {
      const context = hooks?.contextFor ? await hooks.contextFor(record, rebuilt.context) : rebuilt.context;
      decision = await policy.decide(context);
    } catch (error) {
      notReplayable(
        error instanceof NotRecordedError
          ? error.message
          : `the candidate policy could not decide: ${(error as Error).message.split('\n')[0]}`,
      );
      continue;
    }
    // A policy that swallowed a look-up's failure decided without knowing: not a replay either.
    if (rebuilt.missing.length > 0) {
      notReplayable(rebuilt.missing[0]!);
      continue;
    }
    // In shadow mode the candidate releases everything; replay shows what it would enforce.
    const candidate = decision.action === 'release' && decision.shadowOf ? decision.shadowOf : decision;
    try {
      await hooks?.afterDecision?.(record, candidate);
    } catch (error) {
      if (!(error instanceof NotRecordedError)) throw error;
      notReplayable(error.message);
      continue;
    }
    result.replayed++;
    const old = recordedDecision(record);
    if (effectOf(old) === effectOf(candidate)) {
      result.unchanged++;
      continue;
    }
    result.changed++;
    const printer = record.printerName ?? record.policyContext.printer?.displayName ?? record.printerId;
    const user = record.userPrincipalName ?? record.policyContext.job.owner.userPrincipalName ?? '(unknown)';
    const key = `${old.rule}\u0000${candidate.rule}`;
    let change = changes.get(key);
    if (!change) changes.set(key, (change = { oldRule: old.rule, newRule: candidate.rule, count: 0, samples: [] }));
    change.count++;
    if (change.samples.length < options.sample)
      change.samples.push({
        jobId: record.jobId,
        decidedAt: record.decidedAt,
        user,
        printer,
        ...(record.documentName ? { document: record.documentName } : {}),
        old: { action: old.action, rule: old.rule, details: detailsOf(old) },
        new: {
          action: candidate.action,
          rule: candidate.rule,
          details: detailsOf(candidate),
          ...(candidate.reason ? { reason: candidate.reason } : {}),
        },
      });
    bump(result.byActionChange, `${old.action} → ${candidate.action}`);
    bump(result.byUser, user);
    bump(result.byPrinter, printer);
    bump(result.byHour, hour(new Date(record.decidedAt)));
  }
  result.byRuleChange = [...changes.values()].sort(
    (a, b) => b.count - a.count || a.oldRule.localeCompare(b.oldRule) || a.newRule.localeCompare(b.newRule),
  );
  return result;
}

/** Counts as a table, largest first (or by key), the first `limit` rows and how many more. */
function table(
  title: string,
  counts: Record<string, number>,
  options: { byKey?: boolean; limit?: number } = {},
): string[] {
  const all = Object.entries(counts).sort(
    (a, b) => (options.byKey ? a[0].localeCompare(b[0]) : b[1] - a[1]) || a[0].localeCompare(b[0]),
  );
  const limit = options.limit ?? all.length;
  const rows = all.slice(0, limit);
  if (all.length > limit)
    rows.push([`(${all.length - limit} more)`, all.slice(limit).reduce((sum, [, n]) => sum + n, 0)]);
  const width = Math.max(title.length, ...rows.map(([k]) => k.length));
  return [
    `${title.padEnd(width)}  count`,
    `${'-'.repeat(width)}  -----`,
    ...rows.map(([k, n]) => `${k.padEnd(width)}  ${n}`),
  ];
}

const shown = (side: { action: string; details?: Record<string, unknown> }) =>
  side.details ? `${side.action} ${canonicalJson(side.details)}` : side.action;

/** Users and printers shown in the text tables (--json has them all). */
const TOP = 10;

/** The replay as an admin reads it. */
export function formatReplay(result: ReplayResult, period: string, bold: (text: string) => string = (t) => t): string {
  const head = [
    bold(`Replay of policy "${result.policy}" over ${period}: ${result.total} recorded decision(s)`),
    `  replayed ${result.replayed}: ${result.changed} would change, ${result.unchanged} would not`,
    `  not replayable ${result.notReplayable.total}` +
      (result.notReplayable.total ? ' (left out, never guessed):' : ''),
    ...Object.entries(result.notReplayable.byReason)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([reason, n]) => `    ${n}  ${reason}`),
  ];
  if (result.changed === 0) return [...head, '', 'No replayed decision would change.'].join('\n');
  const changes = result.byRuleChange.flatMap((change) => [
    `  ${change.count}  "${change.oldRule}" → "${change.newRule}"`,
    ...change.samples.map(
      (job) =>
        `       ${job.decidedAt}  job ${job.jobId}  ${job.user}  ${job.printer}${job.document ? `  "${job.document}"` : ''}: ${shown(job.old)} → ${shown(job.new)}`,
    ),
  ]);
  return [
    ...head,
    '',
    bold('Changes by rule (old → new), with sample jobs:'),
    ...changes,
    '',
    ...table('action change', result.byActionChange),
    '',
    ...table('user', result.byUser, { limit: TOP }),
    '',
    ...table('printer', result.byPrinter, { limit: TOP }),
    '',
    ...table(`hour (${result.timeZone})`, result.byHour, { byKey: true }),
  ].join('\n');
}

import type { AuditRecord } from '../audit/audit-log';
import type { PrintJob, Printer } from '../graph/print-schemas';
import type { Decision } from '../policy/decision';
import { evaluateWithTrace, traceSummary } from '../policy/trace';
import { FAIL_SAFE_REASONS } from './fail-safe';
import { chooseFailSafe, printerFacts } from './fail-safe-choice';
import { buildPolicyContext } from '../policy/policy-context';
import { recordingContext, type RecordedContext } from '../policy/recorded-context';
import {
  absorbedTransientFailure,
  classifyEvaluationFailure,
  evaluationLookups,
  LOOKUP_PERMISSION_HINT,
} from './policy-evaluation';
import { printerKindsFor } from '../graph/printer-kinds';
import { RetryableProcessingError, type TaskRun } from './task-run';
import { measuresPages, quotaSession } from './quota-charging';
import type { PolicyQuotas } from '../quota/standings';
import type { PageCount } from '../quota/job-cost';
import { chargeKeyOf, type JournaledCharges } from '../quota/quota-model';
import { parseJobUrl } from '../graph/ids';

/** How long a job the policy released on a pull queue waits for its owner (then it is denied). */
export const PULL_QUEUE_HOLD_MINUTES = 24 * 60;
/** How long a pull-queue job may be kept when its owner asks for longer (Universal Print deletes blocked jobs eventually). */
export const PULL_QUEUE_KEEP_LONGER_UP_TO_MINUTES = 3 * 24 * 60;
export const PULL_QUEUE_REASONS = {
  held: 'Sent to a pull queue: release it at the printer where you want to collect it.',
  noOwner: 'This pull-queue job has no owner to release it at a printer.',
} as const;

/**
 * A pull queue (virtual printer) prints nothing when a task is completed, so a decision to release
 * there in place becomes a hold for the job's owner, to release at a printer of their choice (the
 * pull queue's purpose), with the policy's changes applied at release. A job with no owner to release
 * it is denied. Other decisions are unchanged.
 */
export function onPullQueue(decision: Decision, owner: string | undefined): { decision: Decision; detail?: string } {
  if (decision.action !== 'release' && decision.action !== 'release-with-changes') return { decision };
  const detail = `the policy decided ${decision.action}; the printer is a pull queue, which prints nothing`;
  if (!owner)
    return {
      decision: { action: 'deny', rule: decision.rule, reason: PULL_QUEUE_REASONS.noOwner },
      detail: `${detail}: denied, no owner`,
    };
  return {
    decision: {
      action: 'hold',
      rule: decision.rule,
      expiresInMinutes: PULL_QUEUE_HOLD_MINUTES,
      keepLongerUpToMinutes: PULL_QUEUE_KEEP_LONGER_UP_TO_MINUTES,
      onExpiry: 'deny',
      ...(decision.action === 'release-with-changes' ? { configuration: decision.changes } : {}),
      reason: PULL_QUEUE_REASONS.held,
    },
    detail: `${detail}: held for its owner`,
  };
}

/** How many times a decision is made again when another job of the same user took the room it counted on. */
export const MAX_QUOTA_ATTEMPTS = 3;

/**
 * The policy's decision for a job, as the audit record to journal before acting, with its quota
 * charge reserved. A policy that declares quotas decides from its owner's standings; a decision
 * that prints or may print reserves the charge of what will print (the decision's changes
 * applied) before it is journaled, so the journal names every reserved charge. If the store refuses
 * (another job of the same user reserved meanwhile), the standings are read again and the job
 * decided again, at most MAX_QUOTA_ATTEMPTS times; then the task is retried later. Shadow mode
 * acts on no decision, so it charges nothing.
 */
export async function decide(run: TaskRun, job: PrintJob, printerId: string): Promise<AuditRecord> {
  const { deps, log } = run;
  const quotas = deps.policy.quotas;
  // Fail closed: a policy with quotas is never decided (nor its jobs printed) without counting.
  if (quotas?.definitions.length && !deps.usageStore)
    throw new Error('The policy declares quotas, but no usage store is configured');
  const pages = await pagesOf(run, job, printerId, quotas);
  for (let attempt = 1; ; attempt++) {
    const { record, charges } = await decideOnce(run, job, printerId, pages);
    if (!charges) return record;
    const store = deps.usageStore!; // the charges were computed from it
    const reserved = await store.reserve(charges.userKey, charges.jobKey, charges.items, {
      userPrincipalName: job.createdBy?.userPrincipalName ?? undefined,
    });
    if (reserved.ok) {
      log.info('quota.reserved', { jobId: job.id, items: charges.items.map((i) => `${i.quota}+${i.amount}`) });
      return { ...record, quotaCharges: charges };
    }
    const { quota, periodKey, used, limit } = reserved;
    log.warn('quota.reserve-refused', { jobId: job.id, quota, periodKey, used, limit, attempt });
    if (attempt >= MAX_QUOTA_ATTEMPTS)
      throw new RetryableProcessingError(
        `Quota ${quota} (${periodKey}) kept changing while job ${job.id} was decided (${attempt} tries); trying again later`,
      );
  }
}

/**
 * The key the job's charge is kept under. A job Release Gate redirected here (a release at a printer,
 * a redirect decision) was charged as the job it came from: it keeps that charge, so deciding it
 * again neither counts it twice nor compares it against itself.
 */
function jobKeyOf(job: PrintJob, printerId: string): string {
  const original = job.redirectedFrom ? parseJobUrl(job.redirectedFrom) : undefined;
  return chargeKeyOf(original ?? { printerId, jobId: job.id });
}

/**
 * The job's pages, counted (a download) only when page counting is on and a declared quota counts
 * pages; undefined when unknown (the cost is then one page per copy, a lower bound).
 */
async function pagesOf(
  run: TaskRun,
  job: PrintJob,
  printerId: string,
  quotas: PolicyQuotas | undefined,
): Promise<PageCount | undefined> {
  if (!run.deps.countPages) return undefined;
  // Before the first decision a policy file may not be loaded yet: load it to know its quotas.
  if (!measuresPages(quotas ?? (await run.deps.policy.loadQuotas?.()))) return undefined;
  const counted = await run.deps.countPages(job, printerId);
  if ('count' in counted) return counted;
  run.log.info('quota.pages-unknown', { jobId: job.id, why: counted.unknown });
  return undefined;
}

/**
 * One decision for a job, as the audit record to journal before acting (outcome `pending`).
 * Look-ups the policy asks for wait out no Retry-After longer than the policy may take. A transient
 * failure (throttling, a time limit, a policy not loaded yet) is thrown, to be retried, never turned
 * into a decision; only a failure retrying cannot fix gets the fail-safe now (see chooseFailSafe),
 * and an admin is told. A release on a pull queue becomes a hold for its owner (onPullQueue).
 */
async function decideOnce(
  run: TaskRun,
  job: PrintJob,
  printerId: string,
  pages: PageCount | undefined,
): Promise<{ record: AuditRecord; charges?: JournaledCharges }> {
  const { deps, log } = run;
  const decidedAt = run.now();
  // The printer is read at most once: for the policy if it asks, for its kind if a release needs it.
  const kinds = printerKindsFor(deps.api);
  let printerRead: Promise<Printer> | undefined;
  const lookups = evaluationLookups(run.api, { maxRetryAfterSeconds: deps.lookupMaxRetryAfterSeconds ?? 1 });
  const readPrinter = () =>
    (printerRead ??= lookups.getPrinter(printerId).then((printer) => {
      kinds.remember({ id: printerId, hasPhysicalDevice: printer.hasPhysicalDevice, displayName: printer.displayName });
      return printer;
    }));
  // Only what the policy looks at is recorded, for replaying history through another policy.
  const recording = recordingContext(
    buildPolicyContext({
      job,
      printerId,
      tenantId: deps.tenantId,
      now: decidedAt,
      printers: { getPrinter: readPrinter },
      memberOf: lookups.memberOf,
      quota: (name) => session.quota(name),
    }),
  );
  const context = recording.context;
  const session = quotaSession({
    store: deps.usageStore,
    // As the policy declares them when asked (a policy file is loaded during its first evaluation).
    quotas: () => deps.policy.quotas,
    job: context.job,
    jobKey: jobKeyOf(job, printerId),
    now: decidedAt,
    memberOf: (groupIds) => context.memberOf(groupIds),
    pages,
  });
  let decision: Decision;
  let trace: string | undefined;
  let detail: string | undefined;
  let policyDecision: Decision | undefined;
  let shadow = false;
  try {
    const evaluation = await evaluateWithTrace(deps.policy, context);
    shadow = evaluation.shadowMode;
    const absorbed = absorbedTransientFailure(lookups.failures) ?? session.failure();
    // Rethrows the look-up's own failure (whatever Graph's SDK threw), so it is classified as such.
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (absorbed !== undefined) throw absorbed;
    decision = evaluation.decision;
    trace = traceSummary(evaluation) || undefined;
  } catch (error) {
    const failure = classifyEvaluationFailure(error, lookups.failures);
    if (failure.transient) {
      log.warn('policy.unavailable', { policy: deps.policy.name, printerId, detail: failure.message });
      throw failure.error;
    }
    log.error('policy.failed', {
      policy: deps.policy.name,
      kind: failure.kind,
      printerId,
      detail: failure.message,
      ...(failure.kind === 'forbidden' ? { hint: LOOKUP_PERMISSION_HINT } : {}),
    });
    const choice = await chooseFailSafe(printerId, deps, () => readPrinter().then(printerFacts));
    decision =
      choice.action === 'release'
        ? { action: 'release', rule: 'fail-safe: policy error' }
        : { action: 'deny', rule: 'fail-safe: policy error', reason: FAIL_SAFE_REASONS.policyError };
    detail =
      `the policy could not decide (${failure.kind}): ${failure.message}; fail-safe ${choice.action}: ${choice.why}`.slice(
        0,
        500,
      );
  }
  // Completing a pull-queue job's task in place prints nothing. A failure to read the printer is
  // thrown (retried), never turned into a decision.
  if (decision.action === 'release' || decision.action === 'release-with-changes') {
    const pullQueue = kinds.known(printerId) ?? (await readPrinter()).hasPhysicalDevice === false;
    if (pullQueue) {
      const onPull = onPullQueue(decision, job.createdBy?.userPrincipalName ?? undefined);
      policyDecision = decision;
      decision = onPull.decision;
      detail = [detail, onPull.detail].filter(Boolean).join('; ') || undefined;
      log.info('task.pull-queue', { action: decision.action, rule: decision.rule });
    }
  }
  log.info('task.decided', { action: decision.action, rule: decision.rule, jobId: job.id, printerId });
  deps.metrics?.decision(decision.action, decision.rule, printerId);
  // The printer's name, if it was read for this decision or a recent one (no Graph call just for it).
  const printerName = kinds.name(printerId);
  // Shadow mode acts on no decision of the policy's: nothing is charged.
  const charges = shadow ? undefined : await session.chargesFor(decision);
  const record = journalRecord(run, job, printerId, decision, decidedAt, {
    trace,
    detail,
    printerName,
    policyDecision,
    // With the standings the policy saw, and the groups asked for (the policy's and the quotas').
    policyContext: recording.recorded(),
  });
  return { record, charges };
}

/** The journal record of a decision, before it is acted on. */
function journalRecord(
  run: TaskRun,
  job: PrintJob,
  printerId: string,
  decision: Decision,
  decidedAt: Date,
  notes: {
    trace?: string;
    detail?: string;
    printerName?: string;
    policyDecision?: Decision;
    policyContext?: RecordedContext;
  },
): AuditRecord {
  const { message } = run;
  return {
    receivedAt: message.receivedAt,
    taskId: message.taskId,
    taskDefinitionId: message.taskDefinitionId,
    jobId: job.id,
    printerId,
    ...(notes.printerName ? { printerName: notes.printerName } : {}),
    ...(decision.action === 'redirect' ? { destinationPrinterId: decision.printerId } : {}),
    userPrincipalName: job.createdBy?.userPrincipalName ?? undefined,
    documentName: job.documents?.[0]?.displayName ?? undefined,
    rule: decision.rule,
    action: decision.action,
    reason: decision.reason,
    decision,
    ...(notes.policyDecision ? { policyDecision: notes.policyDecision } : {}),
    ...(notes.trace ? { trace: notes.trace } : {}),
    ...(notes.detail ? { detail: notes.detail } : {}),
    outcome: 'pending',
    correlationId: message.correlationId,
    decidedAt: decidedAt.toISOString(),
    decisionMs: decidedAt.getTime() - Date.parse(message.receivedAt),
    ...(notes.policyContext ? { policyContext: notes.policyContext } : {}),
  };
}

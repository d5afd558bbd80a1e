import type { AuditLog, AuditRecord } from '../audit/audit-log';
import { classifyGraphError } from '../graph/graph-errors';
import type { PrintApi } from '../graph/print-api';
import type { Log } from '../observability/log';
import { abortJobAndCloseTask, closeTaskIfOpen } from '../graph/close-task';
import { parseJobUrl, type JobRef } from '../graph/ids';
import type { Decision } from '../policy/decision';
import type { PrintTaskMessage } from '../queue/print-task-message';
import type { FailSafeAction } from '../config/fail-safe-printers';
import type { Printer } from '../graph/print-schemas';
import type { Metrics } from '../observability/metrics';
import { chooseFailSafe, printerFacts, type FailSafeChoice, type FailSafeConfig } from './fail-safe-choice';
import { isVirtual, printerKindsFor } from '../graph/printer-kinds';
import type { UsageStore } from '../quota/quota-model';
import { settleCharges } from '../quota/settle-charges';

export const FAIL_SAFE_REASONS = {
  denied: 'Release Gate could not process this job.',
  policyError: 'The print policy could not be evaluated.',
  pullQueue: 'Release Gate could not hold this job for release at a printer. Please print it again.',
  changes: 'Release Gate could not apply the print settings this job needs. Please print it again.',
} as const;

/**
 * What the fail-safe does with a task. It never releases a job the policy meant to hold or deny,
 * and never completes a pull-queue job in place (that prints nothing): those are denied. Otherwise
 * the action chosen for the printer (see chooseFailSafe): `release` completes the task (the job
 * prints where it was sent), `deny` aborts the job. A printer whose kind cannot be read counts as a
 * pull queue (fail closed).
 */
export async function failSafeDecision(
  prior: Decision | undefined,
  choice: FailSafeAction | FailSafeChoice,
  isPullQueue: () => Promise<boolean>,
): Promise<Decision> {
  const action = typeof choice === 'string' ? choice : choice.action;
  if (prior?.action === 'deny') return { action: 'deny', rule: 'fail-safe', reason: prior.reason };
  if (prior?.action === 'hold') return { action: 'deny', rule: 'fail-safe', reason: FAIL_SAFE_REASONS.pullQueue };
  // The policy let the job print only with its changes (grayscale, duplex, fewer copies): never without them.
  if (prior?.action === 'release-with-changes')
    return { action: 'deny', rule: 'fail-safe', reason: FAIL_SAFE_REASONS.changes };
  if (action === 'deny') return { action: 'deny', rule: 'fail-safe', reason: FAIL_SAFE_REASONS.denied };
  const pullQueue = await isPullQueue().catch((error: unknown) => {
    const kind = classifyGraphError(error).kind;
    if (kind === 'throttled' || kind === 'transient') throw error;
    return true;
  });
  return pullQueue
    ? { action: 'deny', rule: 'fail-safe: pull queue', reason: FAIL_SAFE_REASONS.pullQueue }
    : { action: 'release', rule: 'fail-safe' };
}

/**
 * When Release Gate cannot act as decided (a permission is missing, Graph refuses, the task kept
 * failing into the poison queue), the fail-safe ends the task so the job is never stuck (see
 * failSafeDecision and chooseFailSafe). Audited as `failed-safe`, logged `task.failed-safe` with the
 * printer and counted in the `decision` metric by printer. A transient failure here is thrown: the
 * queue (or the poison queue) retries it, it is never turned into a decision.
 */
export async function applyFailSafe(
  message: PrintTaskMessage,
  deps: FailSafeConfig & {
    api: Pick<PrintApi, 'getTask' | 'getPrinter' | 'abortJob' | 'setTaskState'>;
    audit: AuditLog;
    log: Log;
    now?: () => Date;
    metrics?: Pick<Metrics, 'decision'>;
    usageStore?: UsageStore;
  },
  detail: string,
): Promise<{ decision: Decision }> {
  const { api, log } = deps;
  const prior = await deps.audit.find(message.receivedAt, message.taskId);
  const job = await jobOf(api, message, prior);
  const kinds = printerKindsFor(api);
  let printerRead: Promise<Printer> | undefined;
  const readPrinter = (printerId: string) =>
    (printerRead ??= api.getPrinter(printerId).then((printer) => {
      kinds.remember({ id: printerId, hasPhysicalDevice: printer.hasPhysicalDevice, displayName: printer.displayName });
      return printer;
    }));
  const journaled = prior?.action === 'fail-safe' ? undefined : prior?.decision;
  // A decision the policy journaled settles deny and hold; only without one is the printer's choice needed.
  const choice: FailSafeChoice =
    journaled?.action === 'deny' || journaled?.action === 'hold'
      ? { action: 'deny', why: `the policy decided ${journaled.action}` }
      : await chooseFailSafe(job?.printerId, deps, () => readPrinter(job!.printerId).then(printerFacts));
  const decision = await failSafeDecision(
    journaled,
    choice,
    // No job known: its printer cannot be checked, so it counts as a pull queue.
    async () => !job || (kinds.known(job.printerId) ?? isVirtual(await readPrinter(job.printerId))),
  );
  if (decision.action === 'deny') {
    if (job) await abortJobAndCloseTask(api, message, job, decision.reason, log);
    else await closeTaskIfOpen(api, message, 'aborted', decision.reason, log);
  } else {
    await closeTaskIfOpen(api, message, 'completed', 'Release Gate fail-safe: release', log);
  }
  // A charge the journal names: the fail-safe's release printed the job, its deny did not.
  if (prior) await settleCharges(deps.usageStore, prior, decision.action === 'release' ? 'confirm' : 'cancel');
  const stamp = (deps.now ?? (() => new Date()))().toISOString();
  const printerId = job?.printerId ?? prior?.printerId ?? '';
  await deps.audit.write({
    ...(prior ?? {
      receivedAt: message.receivedAt,
      taskId: message.taskId,
      taskDefinitionId: message.taskDefinitionId,
      jobId: job?.jobId ?? '',
      printerId,
      ...(kinds.name(printerId) ? { printerName: kinds.name(printerId) } : {}),
      rule: decision.rule,
      action: 'fail-safe' as const,
      decision,
      correlationId: message.correlationId,
      decidedAt: stamp,
    }),
    outcome: 'failed-safe',
    detail: `${decision.action === 'deny' ? 'denied' : 'released'} by the fail-safe (${choice.why}): ${detail}`.slice(
      0,
      500,
    ),
    completedAt: stamp,
  });
  deps.metrics?.decision(decision.action, decision.rule, printerId);
  log.warn('task.failed-safe', {
    action: decision.action,
    rule: decision.rule,
    printerId,
    jobId: job?.jobId,
    why: choice.why,
    detail: detail.slice(0, 200),
  });
  return { decision };
}

/** The job a task belongs to: from the journal, or else the task's own parentUrl (never the message alone). */
async function jobOf(
  api: Pick<PrintApi, 'getTask'>,
  message: PrintTaskMessage,
  prior: AuditRecord | undefined,
): Promise<JobRef | undefined> {
  // The journal was written after the task/job binding was checked; a message's own ids were not, so
  // without a journal the task itself says which job it holds (a forged message never names the victim).
  if (prior?.printerId && prior.jobId) return { printerId: prior.printerId, jobId: prior.jobId };
  try {
    const task = await api.getTask(message.taskDefinitionId, message.taskId);
    return task.parentUrl ? parseJobUrl(task.parentUrl) : undefined;
  } catch (error) {
    const kind = classifyGraphError(error).kind;
    if (kind === 'throttled' || kind === 'transient') throw error;
    return undefined;
  }
}

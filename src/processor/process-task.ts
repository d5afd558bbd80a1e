import type { AuditLog, AuditOutcome, AuditRecord } from '../audit/audit-log';
import type { FailSafePrinters } from '../config/fail-safe-printers';
import { permissionsFor } from '../graph/app-permissions';
import { classifyGraphError, type GraphFailure } from '../graph/graph-errors';
import type { PrintApi } from '../graph/print-api';
import type { PrintJob, Printer } from '../graph/print-schemas';
import type { HoldStore } from '../holds/hold-store';
import type { Metrics } from '../observability/metrics';
import type { TaskIndex } from '../tasks/task-index';
import type { Log } from '../observability/log';
import { parseJobUrl, type JobRef } from '../graph/ids';
import type { Decision, ReleasePolicy } from '../policy/decision';
import { evaluateWithTrace, traceSummary } from '../policy/trace';
import type { PrintTaskMessage } from '../queue/print-task-message';
import type { TaskQueue } from '../queue/task-queue';
import { buildPolicyContext } from '../policy/policy-context';
import { countingCalls } from './counting-calls';
import { closeTaskIfOpen } from '../graph/close-task';
import { applyFailSafe, FAIL_SAFE_REASONS } from './fail-safe';
import { chooseFailSafe, printerFacts } from './fail-safe-choice';
import {
  absorbedTransientFailure,
  classifyEvaluationFailure,
  evaluationLookups,
  LOOKUP_PERMISSION_HINT,
} from './policy-evaluation';
import { printerKindsFor } from '../graph/printer-kinds';
import { endedTaskState, outcomeOfEndedTask } from './already-ended';
import { ClaimLostError, underTaskClaim, type ClaimedRun, type ClaimStop } from './task-claim';
import type { TaskClaims } from '../tasks/task-claims';
import { bindingOfTask, refuseJobMismatch, taskBinding } from './task-job-binding';

const unlessNotFound = (error: unknown): undefined => {
  if (classifyGraphError(error).kind === 'not-found') return undefined;
  throw error;
};

export interface ProcessorDependencies {
  api: PrintApi;
  policy: ReleasePolicy;
  audit: AuditLog;
  holds: HoldStore;
  /** Which tasks are handled; the reconciler looks here for tasks whose notification never came. */
  tasks: TaskIndex;
  /** One claim per task across instances: only its holder acts (see task-claim.ts). */
  claims: TaskClaims;
  /** Where a task goes back, delayed, when Graph throttles longer than we wait in-process. */
  queue: TaskQueue;
  log: Log;
  tenantId: string;
  /** RELEASE_GATE_FAIL_SAFE_ACTION: the fail-safe for printers nothing else names (see chooseFailSafe). */
  failSafeAction: 'release' | 'deny';
  /** RELEASE_GATE_FAIL_SAFE_PRINTERS, parsed: the fail-safe per printer or display-name pattern. */
  failSafePrinters?: FailSafePrinters;
  maxRetryAfterSeconds: number;
  /** Longest Retry-After a look-up for the policy waits out in-process (default 1 s, half the policy limit). */
  lookupMaxRetryAfterSeconds?: number;
  /** After this many deferrals the task fails like any other error (and ends in the poison queue). */
  maxDeferrals?: number;
  now?: () => Date;
  metrics?: Pick<Metrics, 'decision' | 'graphCall' | 'queueAge'>;
}

export type ProcessResult =
  | { status: 'acted'; outcome: AuditOutcome; decision: Decision; graphCalls: number }
  | {
      status: 'skipped';
      why: 'already-handled' | 'task-not-processing' | 'still-held' | 'job-mismatch';
      graphCalls: number;
      /** The journal's final outcome, when an earlier run finished the task. */
      outcome?: AuditOutcome;
    }
  | { status: 'job-gone'; graphCalls: number }
  | { status: 'deferred'; delaySeconds: number; graphCalls: number }
  | ClaimStop;

/** An error the queue should retry (throttling we could not wait out, network, Graph 5xx). */
export class RetryableProcessingError extends Error {
  override name = 'RetryableProcessingError';
}

const descriptionFor = (decision: Decision) =>
  `Release Gate: ${decision.action} (${decision.rule})${decision.reason ? `: ${decision.reason}` : ''}`;

/** How long a job the policy released on a pull queue waits for its owner (then it is denied). */
export const PULL_QUEUE_HOLD_MINUTES = 24 * 60;
export const PULL_QUEUE_REASONS = {
  held: 'Sent to a pull queue: release it at the printer where you want to collect it.',
  noOwner: 'This pull-queue job has no owner to release it at a printer.',
} as const;

/** The application permissions to check when Graph refuses us, from the one list the code declares. */
export const PERMISSION_HINT = `Check the app registration has admin consent for ${permissionsFor('application')
  .map((p) => p.name)
  .join(', ')}`;

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
      onExpiry: 'deny',
      ...(decision.action === 'release-with-changes' ? { configuration: decision.changes } : {}),
      reason: PULL_QUEUE_REASONS.held,
    },
    detail: `${detail}: held for its owner`,
  };
}

/**
 * Takes one queued print task to its end: reads the job, asks the policy, makes Universal Print do
 * what it decided, and records it. Exactly once across deliveries and instances: only the run
 * holding the task's claim acts (a duplicate stops or waits), the decision is journaled before
 * acting, so a run taking over from a dead one resumes it, and a task that is no longer `processing`
 * is left alone.
 *
 * Release path with `parentUrl`: two Graph calls (read the job with its tasks, complete the task).
 */
export async function processTask(message: PrintTaskMessage, deps: ProcessorDependencies): Promise<ProcessResult> {
  return underTaskClaim(message, deps, (run) => processClaimedTask(run.message, deps, run));
}

async function processClaimedTask(
  message: PrintTaskMessage,
  deps: ProcessorDependencies,
  run: ClaimedRun,
): Promise<ProcessResult> {
  const { api, calls } = countingCalls(run.fenced(deps.api), deps.metrics?.graphCall);
  const now = deps.now ?? (() => new Date());
  deps.metrics?.queueAge(now().getTime() - Date.parse(message.receivedAt));
  const log = deps.log.with({ correlationId: message.correlationId, taskId: message.taskId });
  const { taskDefinitionId: definitionId, taskId } = message;

  // The journal is read while Graph is asked for the job: storage latency hides behind Graph's.
  const journalRead = deps.audit.find(message.receivedAt, taskId);
  journalRead.catch(() => undefined); // awaited below; not an unhandled rejection if we stop early

  try {
    // Which job? From the notification when it said; otherwise from the task itself.
    let ids = message.printerId && message.jobId ? { printerId: message.printerId, jobId: message.jobId } : undefined;
    if (!ids) {
      const task = await api.getTask(definitionId, taskId);
      if (task.status.state !== 'processing') return skipNotProcessing(task.status.state);
      ids = task.parentUrl ? parseJobUrl(task.parentUrl) : undefined;
      if (!ids) throw new Error(`Task ${taskId} has no usable parentUrl`);
    }
    const { printerId, jobId } = ids;

    const [journal, read] = await Promise.all([
      journalRead,
      api.getJob(printerId, jobId, { documents: true, tasks: true }).then(
        (job) => ({ job }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if (journal && journal.outcome !== 'pending') {
      log.info('task.already-handled', { outcome: journal.outcome });
      return { status: 'skipped', why: 'already-handled', outcome: journal.outcome, graphCalls: calls() };
    }
    if ('error' in read) {
      if (classifyGraphError(read.error).kind !== 'not-found') throw read.error;
      return await jobGone(printerId, jobId);
    }
    const { job } = read;
    // The task must belong to the job the notification named: see task-job-binding.ts.
    const binding = await taskBinding(job, ids, taskId, () => api.getTask(definitionId, taskId));
    if (!binding.belongs) return await refuseMismatch(ids, binding.actualJob);
    const taskState = binding.state;
    if (taskState !== 'processing') {
      // A run that acted and died before recording it: record what the task's end says.
      if (journal && (taskState === 'completed' || taskState === 'aborted')) {
        const ended = outcomeOfEndedTask(journal.decision, taskState);
        return await finish(journal, ended.outcome, ended.detail);
      }
      return skipNotProcessing(taskState);
    }

    const owner = job.createdBy?.userPrincipalName ?? undefined;
    // Only a journaled task can have been held (a hold is decided, then recorded).
    if (journal && owner && (await deps.holds.get(owner, taskId))) {
      return { status: 'skipped', why: 'still-held', graphCalls: calls() };
    }

    const record: AuditRecord = journal ?? (await decide(job, printerId));
    if (!journal) {
      await Promise.all([deps.audit.write(record), deps.tasks.mark(definitionId, taskId, 'handling', now())]);
    }

    // A job aborted by an earlier run that crashed before closing the task: just close it.
    if (record.decision.action === 'deny' && (job.status.state === 'aborted' || job.status.state === 'canceled')) {
      await closeTask('aborted', record.decision.reason);
      return await finish(record, 'denied');
    }
    let ended: { outcome: AuditOutcome; detail: string } | undefined;
    const outcome = await act(record, printerId, jobId, owner, job).catch(async (error: unknown) => {
      const state = await endedTaskState(error, api, definitionId, taskId);
      if (!state) throw error;
      ended = outcomeOfEndedTask(record.decision, state);
      log.info('task.already-ended', { state, outcome: ended.outcome });
      return ended.outcome;
    });
    return await finish(record, outcome, ended?.detail);
  } catch (error) {
    return handleFailure(error);
  }

  function skipNotProcessing(state: string): ProcessResult {
    log.info('task.not-processing', { state });
    return { status: 'skipped', why: 'task-not-processing', graphCalls: calls() };
  }

  async function decide(job: PrintJob, printerId: string): Promise<AuditRecord> {
    const decidedAt = now();
    // The printer is read at most once: for the policy if it asks, for its kind if a release needs it.
    const kinds = printerKindsFor(deps.api);
    let printerRead: Promise<Printer> | undefined;
    // Look-ups for the policy wait out no Retry-After longer than the policy may take (see evaluationLookups).
    const lookups = evaluationLookups(api, { maxRetryAfterSeconds: deps.lookupMaxRetryAfterSeconds ?? 1 });
    const readPrinter = () =>
      (printerRead ??= lookups.getPrinter(printerId).then((printer) => {
        kinds.remember({ id: printerId, hasPhysicalDevice: printer.hasPhysicalDevice });
        return printer;
      }));
    const context = buildPolicyContext({
      job,
      printerId,
      tenantId: deps.tenantId,
      now: decidedAt,
      printers: { getPrinter: readPrinter },
      memberOf: lookups.memberOf,
    });
    let decision: Decision;
    let trace: string | undefined;
    let detail: string | undefined;
    try {
      const evaluation = await evaluateWithTrace(deps.policy, context);
      const absorbed = absorbedTransientFailure(lookups.failures);
      if (absorbed !== undefined) throw absorbed;
      decision = evaluation.decision;
      trace = traceSummary(evaluation) || undefined;
    } catch (error) {
      // Throttling, a time limit, a policy not loaded yet: retried like any transient failure, never a
      // decision. Only a failure that retrying cannot fix gets the fail-safe now, and an admin is told.
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
    // Completing a pull-queue job's task in place prints nothing: see onPullQueue. A failure to
    // read the printer is thrown (retried), never turned into a decision.
    if (decision.action === 'release' || decision.action === 'release-with-changes') {
      const pullQueue = kinds.known(printerId) ?? (await readPrinter()).hasPhysicalDevice === false;
      if (pullQueue) {
        const onPull = onPullQueue(decision, job.createdBy?.userPrincipalName ?? undefined);
        decision = onPull.decision;
        detail = [detail, onPull.detail].filter(Boolean).join('; ') || undefined;
        log.info('task.pull-queue', { action: decision.action, rule: decision.rule });
      }
    }
    log.info('task.decided', { action: decision.action, rule: decision.rule, jobId: job.id, printerId });
    deps.metrics?.decision(decision.action, decision.rule, printerId);
    const document = job.documents?.[0];
    return {
      receivedAt: message.receivedAt,
      taskId,
      taskDefinitionId: definitionId,
      jobId: job.id,
      printerId,
      ...(decision.action === 'redirect' ? { destinationPrinterId: decision.printerId } : {}),
      userPrincipalName: job.createdBy?.userPrincipalName ?? undefined,
      documentName: document?.displayName ?? undefined,
      rule: decision.rule,
      action: decision.action,
      reason: decision.reason,
      decision,
      ...(trace ? { trace } : {}),
      ...(detail ? { detail } : {}),
      outcome: 'pending',
      correlationId: message.correlationId,
      decidedAt: decidedAt.toISOString(),
      decisionMs: decidedAt.getTime() - Date.parse(message.receivedAt),
    };
  }

  async function act(
    record: AuditRecord,
    printerId: string,
    jobId: string,
    owner: string | undefined,
    job: PrintJob,
  ): Promise<AuditOutcome> {
    const decision = record.decision;
    switch (decision.action) {
      case 'release':
        await api.setTaskState(definitionId, taskId, 'completed', descriptionFor(decision));
        return 'released';
      case 'release-with-changes':
        await api.updateJobConfiguration(printerId, jobId, decision.changes);
        await api.setTaskState(definitionId, taskId, 'completed', descriptionFor(decision));
        return 'released-with-changes';
      case 'redirect': {
        const moved = await api.redirectJob(printerId, jobId, decision.printerId, decision.configuration);
        log.info('job.redirected', { toPrinterId: decision.printerId, newJobId: moved.id });
        // Graph completes our task on redirect; confirm, and close it ourselves if it did not.
        const task = await api.getTask(definitionId, taskId);
        if (task.status.state === 'processing') {
          log.warn('task.left-processing-after-redirect');
          await api.setTaskState(definitionId, taskId, 'completed', descriptionFor(decision));
        }
        return 'redirected';
      }
      case 'deny':
        await api.abortJob(printerId, jobId, decision.reason);
        await closeTask('aborted', decision.reason);
        return 'denied';
      case 'hold': {
        if (!owner) throw new Error(`Job ${jobId} has no owner to hold it for`);
        const heldAt = now();
        await deps.holds.add({
          taskDefinitionId: definitionId,
          taskId,
          printerId,
          jobId,
          ownerUpn: owner,
          ownerId: job.createdBy?.id ?? undefined,
          documentName: job.documents?.[0]?.displayName ?? undefined,
          sizeBytes: job.documents?.[0]?.size ?? undefined,
          copies: job.configuration?.copies ?? undefined,
          heldAt: heldAt.toISOString(),
          expiresAt: new Date(heldAt.getTime() + decision.expiresInMinutes * 60_000).toISOString(),
          onExpiry: decision.onExpiry,
          rule: decision.rule,
          ...(decision.configuration ? { releaseConfiguration: decision.configuration } : {}),
          ...(decision.releaseAt ? { releaseAt: decision.releaseAt } : {}),
          correlationId: message.correlationId,
          receivedAt: message.receivedAt,
        });
        return 'held';
      }
    }
  }

  function closeTask(state: 'completed' | 'aborted', description?: string): Promise<void> {
    return closeTaskIfOpen(api, message, state, description ?? `Release Gate: ${state}`, log);
  }

  async function finish(record: AuditRecord, outcome: AuditOutcome, detail?: string): Promise<ProcessResult> {
    const completedAt = now();
    const graphCalls = calls();
    await Promise.all([
      deps.tasks.mark(definitionId, taskId, outcome === 'held' ? 'held' : 'done', completedAt, outcome),
      deps.audit.write({
        ...record,
        outcome,
        ...(detail ? { detail } : {}),
        completedAt: completedAt.toISOString(),
        totalMs: completedAt.getTime() - Date.parse(message.receivedAt),
        graphCalls,
      }),
    ]);
    log.info('task.finished', {
      outcome,
      action: record.action,
      rule: record.rule,
      printerId: record.printerId,
      jobId: record.jobId,
      user: record.userPrincipalName,
      graphCalls,
      totalMs: completedAt.getTime() - Date.parse(message.receivedAt),
    });
    return { status: 'acted', outcome, decision: record.decision, graphCalls };
  }

  async function jobGone(printerId: string, jobId: string): Promise<ProcessResult> {
    // A job that is gone cannot list the task: the task's own parentUrl must name it before we close the task.
    const task = jobId ? await api.getTask(definitionId, taskId).catch(unlessNotFound) : undefined;
    const binding = task && bindingOfTask(task, { printerId, jobId });
    if (binding && !binding.belongs) return refuseMismatch({ printerId, jobId }, binding.actualJob);
    log.warn('job.gone', { printerId, jobId });
    await closeTask('aborted', 'The print job no longer exists.').catch(() => undefined);
    const decidedAt = now().toISOString();
    const decision: Decision = { action: 'deny', rule: 'job gone', reason: 'The print job no longer exists.' };
    await deps.audit.write({
      receivedAt: message.receivedAt,
      taskId,
      taskDefinitionId: definitionId,
      jobId,
      printerId,
      rule: decision.rule,
      action: decision.action,
      decision,
      outcome: 'job-gone',
      correlationId: message.correlationId,
      decidedAt,
      completedAt: decidedAt,
      graphCalls: calls(),
    });
    await deps.tasks.mark(definitionId, taskId, 'done', now(), 'job-gone');
    return { status: 'job-gone', graphCalls: calls() };
  }

  async function refuseMismatch(named: JobRef, actualJob: JobRef | undefined): Promise<ProcessResult> {
    await refuseJobMismatch(message, named, actualJob, { audit: deps.audit, log, now });
    return { status: 'skipped', why: 'job-mismatch', graphCalls: calls() };
  }

  async function handleFailure(error: unknown): Promise<ProcessResult> {
    if (error instanceof ClaimLostError) throw error; // another run has the task: never act, never fail-safe
    const failure: GraphFailure = classifyGraphError(error);
    if (failure.kind === 'throttled') {
      const delay = failure.retryAfterSeconds ?? 0;
      const deferrals = message.deferrals ?? 0;
      if (delay > deps.maxRetryAfterSeconds && deferrals < (deps.maxDeferrals ?? 10)) {
        // Put the task back, invisible for as long as Graph asked, rather than hold an instance.
        await deps.queue.send([{ ...message, deferrals: deferrals + 1 }], undefined, { delaySeconds: delay });
        log.warn('task.deferred', { delaySeconds: delay, deferrals: deferrals + 1, status: failure.status });
        return { status: 'deferred', delaySeconds: delay, graphCalls: calls() };
      }
      throw new RetryableProcessingError(`Graph throttled (${failure.status}): ${failure.message}`);
    }
    if (failure.kind === 'not-found') return jobGone(message.printerId ?? '', message.jobId ?? '');
    if (failure.kind === 'transient') throw new RetryableProcessingError(failure.message);
    // forbidden or conflict: retrying will not help. Apply the fail-safe and tell an admin.
    log.error('task.failed-permanently', {
      kind: failure.kind,
      status: failure.status,
      detail: failure.message,
      hint: failure.kind === 'forbidden' ? PERMISSION_HINT : undefined,
    });
    const outcome = await applyFailSafe(message, { ...deps, api }, failure.message);
    await deps.tasks.mark(definitionId, taskId, 'done', now(), 'failed-safe');
    return { status: 'acted', outcome: 'failed-safe', decision: outcome.decision, graphCalls: calls() };
  }
}

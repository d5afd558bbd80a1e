import type { AuditRecord } from '../audit/audit-log';
import { classifyGraphError } from '../graph/graph-errors';
import type { PrintJob, PrintTask } from '../graph/print-schemas';
import { parseJobUrl, type JobRef } from '../graph/ids';
import type { PrintTaskMessage } from '../queue/print-task-message';
import { actOnDecision } from './act';
import { countingCalls } from './counting-calls';
import { decide } from './decide';
import { handleFailure } from './handle-failure';
import { notifyOwner } from './notify-owner';
import { underTaskClaim, type ClaimedRun } from './task-claim';
import { taskBinding } from './task-job-binding';
import { outcomeOfEndedTask } from './already-ended';
import { finish, jobGone, refuseMismatch, skipNotProcessing } from './task-outcome';
import type { ProcessorApi, ProcessorDependencies, ProcessResult, TaskRun } from './task-run';

export {
  onPullQueue,
  PULL_QUEUE_HOLD_MINUTES,
  PULL_QUEUE_KEEP_LONGER_UP_TO_MINUTES,
  PULL_QUEUE_REASONS,
} from './decide';
export { PERMISSION_HINT } from './handle-failure';
export {
  RetryableProcessingError,
  type ProcessorApi,
  type ProcessorDependencies,
  type ProcessResult,
} from './task-run';

/**
 * Takes one queued print task to its end: reads the job, asks the policy (decide.ts), makes
 * Universal Print do what it decided (act.ts), and records it (task-outcome.ts); a failure is
 * handled by its kind (handle-failure.ts). Exactly once across deliveries and instances: only the
 * run holding the task's claim acts (a duplicate stops or waits), the decision is journaled before
 * acting, so a run taking over from a dead one resumes it, and a task that is no longer
 * `processing` is left alone.
 *
 * Release path with `parentUrl`: two Graph calls (read the job with its tasks, complete the task)
 * and one storage wait before the release (the journal; the claim is taken while the job is read).
 */
export async function processTask(
  message: PrintTaskMessage,
  deps: ProcessorDependencies<ProcessorApi>,
): Promise<ProcessResult> {
  const early = firstRead(message, deps);
  let ran = false;
  const result = await underTaskClaim(message, deps, (claimed) => {
    ran = true;
    return processClaimedTask(claimed, deps, early);
  });
  // A run that stopped at the claim still made the early read.
  return !ran && early ? { ...result, graphCalls: result.graphCalls + early.calls() } : result;
}

type Settled<T> = { value: T } | { error: unknown };
const settled = <T>(work: Promise<T>): Promise<Settled<T>> =>
  work.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
const valueOf = <T>(result: Settled<T>): T => {
  if ('error' in result) throw result.error;
  return result.value;
};

/** The job the message names, when it names one (the notification's parentUrl). */
const namedJob = (message: PrintTaskMessage): JobRef | undefined =>
  message.printerId && message.jobId ? { printerId: message.printerId, jobId: message.jobId } : undefined;

interface FirstRead {
  job?: Promise<Settled<PrintJob>>;
  task?: Promise<Settled<PrintTask>>;
  calls(): number;
}

/**
 * The run's first Graph read, started while the claim is taken, so the claim's storage round trip
 * hides behind Graph's. Only a read (never an action) and only on a first delivery: a copy that
 * comes back (a deferral, a wait for another run's claim) or a reconciler's message is more likely
 * a duplicate, which stops at the claim and should cost Graph nothing.
 */
function firstRead(message: PrintTaskMessage, deps: ProcessorDependencies<ProcessorApi>): FirstRead | undefined {
  if (message.source !== 'notification' || (message.deferrals ?? 0) > 0) return undefined;
  const { api, calls } = countingCalls(deps.api, deps.metrics?.graphCall);
  const named = namedJob(message);
  if (named) return { job: settled(api.getJob(named.printerId, named.jobId, { documents: true, tasks: true })), calls };
  return { task: settled(api.getTask(message.taskDefinitionId, message.taskId)), calls };
}

async function processClaimedTask(
  claimed: ClaimedRun,
  deps: ProcessorDependencies<ProcessorApi>,
  early: FirstRead | undefined,
): Promise<ProcessResult> {
  const { message } = claimed;
  const { api, calls } = countingCalls(claimed.fenced(deps.api), deps.metrics?.graphCall);
  const now = deps.now ?? (() => new Date());
  const run: TaskRun = {
    message,
    deps,
    api,
    calls: () => calls() + (early?.calls() ?? 0),
    log: deps.log.with({ correlationId: message.correlationId, taskId: message.taskId }),
    now,
  };
  deps.metrics?.queueAge(now().getTime() - Date.parse(message.receivedAt));
  const { taskDefinitionId, taskId } = message;
  // A run taking over reads Graph afresh: what was read before the claim may predate the earlier run's actions.
  const reads = claimed.takeover ? undefined : early;

  // Only a take-over can find a journal (a first claim has no earlier run); it is read while Graph
  // is asked for the job, so storage latency hides behind Graph's.
  const journalRead: Promise<AuditRecord | undefined> = claimed.takeover
    ? run.deps.audit.find(message.receivedAt, taskId)
    : Promise.resolve(undefined);
  journalRead.catch(() => undefined); // awaited below; not an unhandled rejection if we stop early

  try {
    // Which job? From the notification when it said; otherwise from the task itself.
    let ids = namedJob(message);
    if (!ids) {
      const task = valueOf(await (reads?.task ?? settled(api.getTask(taskDefinitionId, taskId))));
      if (task.status.state !== 'processing') return skipNotProcessing(run, task.status.state);
      ids = task.parentUrl ? parseJobUrl(task.parentUrl) : undefined;
      if (!ids) throw new Error(`Task ${taskId} has no usable parentUrl`);
    }
    const { printerId, jobId } = ids;
    const [journal, read] = await Promise.all([
      journalRead,
      reads?.job ?? settled(api.getJob(printerId, jobId, { documents: true, tasks: true })),
    ]);
    if (journal && journal.outcome !== 'pending') {
      run.log.info('task.already-handled', { outcome: journal.outcome });
      return { status: 'skipped', why: 'already-handled', outcome: journal.outcome, graphCalls: run.calls() };
    }
    if ('error' in read) {
      if (classifyGraphError(read.error).kind !== 'not-found') throw read.error;
      return await jobGone(run, printerId, jobId);
    }
    const job = read.value;
    // The task must belong to the job the notification named: see task-job-binding.ts.
    const binding = await taskBinding(job, ids, taskId, () => api.getTask(taskDefinitionId, taskId));
    if (!binding.belongs) return await refuseMismatch(run, ids, binding.actualJob);
    if (binding.state !== 'processing') {
      // A run that acted and died before recording it: record what the task's end says.
      // With quotas, a retry after such a run also looks: the journal may name a charge to settle.
      const pending =
        journal ??
        (deps.usageStore && (binding.state === 'completed' || binding.state === 'aborted')
          ? await deps.audit.find(message.receivedAt, taskId)
          : undefined);
      if (pending?.outcome === 'pending' && (binding.state === 'completed' || binding.state === 'aborted')) {
        const ended = outcomeOfEndedTask(pending.decision, binding.state);
        return await finish(run, pending, ended.outcome, ended.detail, ended.printed);
      }
      return skipNotProcessing(run, binding.state);
    }

    const owner = job.createdBy?.userPrincipalName ?? undefined;
    // Only a journaled task can have been held (a hold is decided, then recorded).
    if (journal && owner && (await deps.holds.get(owner, taskId))) {
      return { status: 'skipped', why: 'still-held', graphCalls: run.calls() };
    }

    // Journal before acting: a run taking over resumes this decision instead of deciding again.
    const record = journal ?? (await decide(run, job, printerId));
    if (!journal) {
      await Promise.all([deps.audit.write(record), deps.tasks.mark(taskDefinitionId, taskId, 'handling', now())]);
    }
    const { outcome, detail, printed } = await actOnDecision(run, record, job, ids);
    const result = await finish(run, record, outcome, detail, printed);
    // After the action and its audit record: a message never delays or changes the decision.
    await notifyOwner(run, record, outcome, job);
    return result;
  } catch (error) {
    return handleFailure(run, error);
  }
}

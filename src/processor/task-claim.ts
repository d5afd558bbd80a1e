import { describeError, type Log } from '../observability/log';
import type { PrintTaskMessage } from '../queue/print-task-message';
import type { TaskQueue } from '../queue/task-queue';
import type { TaskClaims, TaskLease } from '../tasks/task-claims';

/**
 * Exactly once per task across deliveries and instances: a run acts on a task only while it holds
 * the task's claim (src/tasks/task-claims.ts). A duplicate finds the claim `done` (it stops) or held
 * by a live run (it goes back on the queue, delayed, and looks again); a run that died loses its
 * lease and the next delivery takes the task over, resuming the journaled decision.
 */

/** host.json `functionTimeout`: past it the host has given the run up, so it may no longer act. */
export const MAX_RUN_MS = 5 * 60_000;

/** The Graph calls that act on a task or its job; each is made only while the claim is ours. */
const ACTIONS = new Set<string | symbol>(['setTaskState', 'updateJobConfiguration', 'redirectJob', 'abortJob']);

/** This run's claim was taken over (it stopped renewing in time): it must not act any more. */
export class ClaimLostError extends Error {
  override name = 'ClaimLostError';
}

export interface ClaimDependencies {
  claims: TaskClaims;
  /** Where a duplicate goes back, delayed, while another run holds the task. */
  queue: TaskQueue;
  log: Log;
  maxDeferrals?: number;
}

/** A run holding the claim: the message (with the task's journal key) and the Graph API fenced by the claim. */
export interface ClaimedRun {
  message: PrintTaskMessage;
  takeover: boolean;
  fenced<Api extends object>(api: Api): Api;
}

/** What a run that did not get the claim returns. */
export type ClaimStop =
  | { status: 'skipped'; why: 'already-handled' | 'claimed-elsewhere' | 'claim-lost'; graphCalls: number }
  | { status: 'waiting'; delaySeconds: number; graphCalls: number };

/** The part of a run's result that says what to do with the claim afterwards. */
interface RunResult {
  status: string;
  outcome?: string;
  why?: string;
}

/** The outcome a finished run leaves on the claim; undefined: not finished, give the claim back. */
function claimOutcome(result: RunResult): string | undefined {
  if (result.status === 'acted') return result.outcome;
  if (result.status === 'job-gone') return 'job-gone';
  // A notification naming another job ended nothing: the task's genuine notification must still run.
  if (result.status === 'skipped' && result.why === 'job-mismatch') return undefined;
  if (result.status === 'skipped') return result.why === 'still-held' ? 'held' : (result.outcome ?? 'already-done');
  return undefined;
}

/**
 * Runs `work` under the task's claim. The claim is renewed while the run lives (every third of the
 * lease), checked before every Graph action, marked done with the outcome when the run finished the
 * task, and given back when it did not (a retry, a deferral), so the next try need not wait.
 */
export async function underTaskClaim<R extends RunResult>(
  message: PrintTaskMessage,
  deps: ClaimDependencies,
  work: (run: ClaimedRun) => Promise<R>,
): Promise<R | ClaimStop> {
  const log = deps.log.with({ correlationId: message.correlationId, taskId: message.taskId });
  const attempt = await deps.claims.acquire(message.taskDefinitionId, message.taskId, message.receivedAt);
  if (attempt.kind === 'done') {
    log.info('task.already-handled', { outcome: attempt.outcome, by: 'claim' });
    return { status: 'skipped', why: 'already-handled', graphCalls: 0 };
  }
  if (attempt.kind === 'busy') return waitForClaim(message, deps, attempt.leaseUntil, log);

  const { lease, takeover } = attempt;
  if (takeover) log.warn('task.claim-taken-over', { detail: 'the previous run stopped renewing its lease' });
  const guard = leaseGuard(lease, deps.claims.leaseMs, log);
  const run: ClaimedRun = {
    // The journal is keyed by the first run's receivedAt: a later delivery resumes that record.
    message: { ...message, receivedAt: lease.receivedAt },
    takeover,
    fenced: (api) => fencedApi(api, guard.fence),
  };
  try {
    const result = await work(run);
    const outcome = claimOutcome(result);
    if (outcome === undefined) await releaseQuietly(lease, log);
    else if ((await lease.finish(outcome)) === 'lost') log.warn('task.claim-lost', { stage: 'finish', outcome });
    return result;
  } catch (error) {
    if (error instanceof ClaimLostError) {
      log.warn('task.claim-lost', { stage: 'act', detail: error.message });
      return { status: 'skipped', why: 'claim-lost', graphCalls: 0 };
    }
    await releaseQuietly(lease, log);
    throw error;
  } finally {
    guard.stop();
  }
}

/** Another run holds the task: look again once its lease could have lapsed (sooner, if it is long). */
async function waitForClaim(
  message: PrintTaskMessage,
  deps: ClaimDependencies,
  leaseUntil: Date,
  log: Log,
): Promise<ClaimStop> {
  const deferrals = message.deferrals ?? 0;
  if (deferrals >= (deps.maxDeferrals ?? 10)) {
    // The holder's own message (or the reconciler, for a stalled task) still brings the task to an end.
    log.warn('task.claimed-elsewhere', { givenUp: true, deferrals });
    return { status: 'skipped', why: 'claimed-elsewhere', graphCalls: 0 };
  }
  const remainingMs = Math.max(0, leaseUntil.getTime() - Date.now());
  const delaySeconds = Math.max(1, Math.ceil(Math.min(remainingMs, deps.claims.leaseMs / 3) / 1000));
  await deps.queue.send([{ ...message, deferrals: deferrals + 1 }], undefined, { delaySeconds });
  log.info('task.claimed-elsewhere', { delaySeconds, deferrals: deferrals + 1 });
  return { status: 'waiting', delaySeconds, graphCalls: 0 };
}

/** Keeps the lease alive in the background and checks it before each action. */
function leaseGuard(lease: TaskLease, leaseMs: number, log: Log) {
  const startedAt = Date.now();
  let lost = false;
  const overran = () => Date.now() - startedAt > MAX_RUN_MS;
  const heartbeat = setInterval(() => {
    if (lost || overran()) return;
    lease.renew().then(
      (result) => (lost ||= result === 'lost'),
      (error: unknown) => log.warn('task.claim-renewal-failed', { detail: String(error).slice(0, 200) }),
    );
  }, leaseMs / 3);
  heartbeat.unref();
  return {
    async fence(): Promise<void> {
      if (lost) throw new ClaimLostError('another run took the task over');
      if (overran()) throw new ClaimLostError('the run outlived the function timeout');
      // Act only with a comfortable margin left; renew first otherwise (a storage error is thrown: retried).
      if (lease.validUntil() - Date.now() < leaseMs / 2 && (await lease.renew()) === 'lost') {
        lost = true;
        throw new ClaimLostError('another run took the task over');
      }
    },
    stop: () => clearInterval(heartbeat),
  };
}

function fencedApi<Api extends object>(api: Api, fence: () => Promise<void>): Api {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || !ACTIONS.has(property)) return value;
      return async (...args: unknown[]) => {
        await fence();
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}

/**
 * Gives the claim back early so another delivery need not wait out the lease. A failure is only
 * logged: the lease still ends by itself, and the run's own result or error is what counts.
 */
async function releaseQuietly(lease: TaskLease, log: Log): Promise<void> {
  await lease.release().catch((error: unknown) => log.warn('task.claim-release-failed', describeError(error)));
}

import type { UserActionLog } from '../audit/user-action-log';
import { describeError, type Log } from '../observability/log';
import type { HeldJob, HoldStore } from './hold-store';

export interface KeepLongerDependencies {
  holds: HoldStore;
  log: Log;
  now?: () => Date;
  /** Audit of what users did (RELEASE_GATE_USER_ACTION_TABLE); each keep is a `kept-longer` entry. */
  userActions?: UserActionLog;
}

/** Who asks, from their token (src/release/user-token.ts KeepingUser): the object id decides. */
export interface KeepingUser {
  objectId: string;
  userPrincipalName?: string;
}

export type KeepResult =
  | { taskId: string; status: 'kept'; expiresAt: string }
  | { taskId: string; status: 'not-found' } // not held, not this user's, expired or ended
  | { taskId: string; status: 'refused'; reason: string }; // still held, expiry unchanged

export const NO_KEEPING_REASON = 'The print policy does not let this job be kept longer.';
export const keptAtMaximum = (until: string) =>
  `This job is already held as long as the print policy allows (until ${until}).`;

/** What one keep adds: the hold's first length (stored by the first keep). */
const holdMinutesOf = (held: HeldJob) =>
  held.holdMinutes ?? Math.max(1, Math.round((Date.parse(held.expiresAt) - Date.parse(held.heldAt)) / 60_000));

/**
 * The expiry one more keep would give (one first hold length more, never past keepUntilMax), or
 * undefined when the hold cannot be kept longer (no maximum, or reached). The page shows it on its button.
 */
export function nextKeepUntil(held: HeldJob, now: Date): string | undefined {
  if (!held.keepUntilMax) return undefined;
  const max = Date.parse(held.keepUntilMax);
  const from = Math.max(now.getTime(), Date.parse(held.expiresAt));
  if (from >= max) return undefined;
  return new Date(Math.min(max, from + holdMinutesOf(held) * 60_000)).toISOString();
}

/**
 * "Keep longer": each keep moves the owner's hold's expiry by the hold's first length, up to the
 * policy's maximum (`keepUntilMax`, from keepLongerUpToMinutes), and clears `warnedAt` so the new
 * expiry is warned about again. Only the owner keeps (delegates do not). A hold already past its
 * expiry is not kept (the timer is ending it): `not-found`, as for a job that is not held.
 */
export async function keepLonger(
  deps: KeepLongerDependencies,
  user: KeepingUser,
  taskIds: string[],
): Promise<KeepResult[]> {
  const owner = { id: user.objectId, userPrincipalName: user.userPrincipalName };
  const results: KeepResult[] = [];
  for (const taskId of [...new Set(taskIds)]) {
    const now = (deps.now ?? (() => new Date()))();
    let refusal: string | undefined;
    let expired = false;
    const after = await deps.holds.update(owner, taskId, (held) => {
      refusal = undefined;
      expired = Date.parse(held.expiresAt) <= now.getTime();
      if (expired) return undefined;
      if (!held.keepUntilMax) {
        refusal = NO_KEEPING_REASON;
        return undefined;
      }
      const expiresAt = nextKeepUntil(held, now);
      if (!expiresAt) {
        refusal = keptAtMaximum(held.keepUntilMax);
        return undefined;
      }
      const { warnedAt: _warned, ...rest } = held;
      return { ...rest, holdMinutes: holdMinutesOf(held), expiresAt };
    });
    if (!after || expired) results.push({ taskId, status: 'not-found' });
    else if (refusal) results.push({ taskId, status: 'refused', reason: refusal });
    else {
      results.push({ taskId, status: 'kept', expiresAt: after.expiresAt });
      await audit(deps, user, after, now);
    }
  }
  return results;
}

/** The keep stands whatever the audit does: a failure to record it is logged, not undone. */
async function audit(deps: KeepLongerDependencies, user: KeepingUser, held: HeldJob, now: Date): Promise<void> {
  const log = deps.log.with({ correlationId: held.correlationId, taskId: held.taskId });
  log.info('hold.kept-longer', { expiresAt: held.expiresAt });
  try {
    await deps.userActions?.write({
      at: now.toISOString(),
      action: 'kept-longer',
      actor: { id: user.objectId, ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}) },
      taskId: held.taskId,
      jobId: held.jobId,
      printerId: held.printerId,
      detail: `kept until ${held.expiresAt}`,
    });
  } catch (error) {
    log.warn('user-action.not-recorded', describeError(error));
  }
}

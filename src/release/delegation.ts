import { ownerOf, ownsHold, type HeldJob, type HoldOwner, type HoldStore } from '../holds/hold-store';
import type { DelegationStore } from './delegation-store';

/**
 * Who may act on a held job besides its owner (issue 18, "Delegates"): a delegate the owner named,
 * or the one colleague the owner handed that job to. Never for a hold with `noDelegation` (the policy
 * forbids it, e.g. a confidential printer). Others may release (and so see) a job, nothing else:
 * deleting, keeping longer and handing over stay the owner's (those claim under the signed-in user
 * only). Every answer is read from the stores at the moment of the action, so a revoked delegate or a
 * taken-back hand-over can do nothing from then on.
 */
export type DelegatedVia = 'delegate' | 'handed';

export interface DelegationDependencies {
  holds: HoldStore;
  delegation: DelegationStore;
}

export interface DelegatedHold {
  held: HeldJob;
  via: DelegatedVia;
}

const same = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** Why this user may release this stored hold for its owner now, or undefined: they may not. */
export async function mayReleaseFor(
  deps: DelegationDependencies,
  user: { id: string },
  held: HeldJob,
): Promise<DelegatedVia | undefined> {
  if (held.noDelegation || ownsHold(user, held)) return undefined;
  if (same(held.handedTo?.id, user.id)) return 'handed';
  if (held.ownerId && (await deps.delegation.isDelegate(held.ownerId, user.id))) return 'delegate';
  return undefined;
}

/**
 * Other people's held jobs this user may release now: those of every owner who named them a
 * delegate, and each job handed to them. Oldest grants are not cached: read on every call.
 */
export async function delegatedHolds(deps: DelegationDependencies, user: { id: string }): Promise<DelegatedHold[]> {
  const found = new Map<string, DelegatedHold>();
  for (const owner of await deps.delegation.ownersOf(user.id)) {
    if (same(owner.id, user.id)) continue;
    const holds = await deps.holds.listByOwner({ id: owner.id, userPrincipalName: owner.userPrincipalName });
    for (const held of holds) if (!held.noDelegation) found.set(held.taskId, { held, via: 'delegate' });
  }
  for (const { taskId, owner } of await deps.delegation.handedTo(user.id)) {
    const held = await deps.holds.get({ id: owner.id, userPrincipalName: owner.userPrincipalName }, taskId);
    // The hold decides: ended, taken back or handed to someone else since, the note grants nothing.
    if (held && !held.noDelegation && same(held.handedTo?.id, user.id) && !ownsHold(user, held))
      found.set(taskId, { held, via: 'handed' });
    // A note whose job ended (released, deleted, expired) or went to someone else is dropped here, so
    // notes cannot pile up on a colleague's list (each costs a read on every page load). A job only
    // claimed for a moment (a release in flight that fails) keeps its handedTo; the owner can hand it again.
    else if (!held || !same(held.handedTo?.id, user.id))
      await deps.delegation.forgetHandedOver(user.id, taskId).catch(() => undefined);
  }
  return [...found.values()];
}

/**
 * Claims a job this user may release for its owner: found among their delegated holds, claimed under
 * the owner, and checked again on the claimed copy (a revocation or take-back that raced the claim
 * wins: the hold goes back). Undefined: not theirs to release (the API says `not-found`).
 */
export function delegatedClaimer(
  deps: DelegationDependencies,
  user: HoldOwner & { id: string },
): (taskId: string) => Promise<DelegatedHold | undefined> {
  let reachable: Promise<Map<string, DelegatedHold>> | undefined;
  return async (taskId) => {
    reachable ??= delegatedHolds(deps, user).then((list) => new Map(list.map((d) => [d.held.taskId, d])));
    const found = (await reachable).get(taskId);
    if (!found) return undefined;
    const claimed = await deps.holds.claim(ownerOf(found.held), taskId);
    if (!claimed) return undefined;
    const via = await mayReleaseFor(deps, user, claimed).catch(async (error: unknown) => {
      await deps.holds.add(claimed); // could not check: the job stays held (fail closed)
      throw error;
    });
    if (!via) {
      await deps.holds.add(claimed);
      return undefined;
    }
    return { held: claimed, via };
  };
}

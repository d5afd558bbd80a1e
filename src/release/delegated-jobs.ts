import { delegatedHolds, type DelegatedVia, type DelegationDependencies } from './delegation';
import { jobView, type HeldJobView } from './release-held-jobs';

/** A job someone else may release for its owner, as the release page lists it ("for Ada Lovelace"). */
export interface DelegatedJobView extends HeldJobView {
  owner: { displayName?: string; userPrincipalName: string };
  via: DelegatedVia;
}

/** The held jobs of others this user may release now, newest first. */
export async function delegatedJobViews(deps: DelegationDependencies, userId: string): Promise<DelegatedJobView[]> {
  const found = await delegatedHolds(deps, { id: userId });
  return found
    .sort((a, b) => b.held.heldAt.localeCompare(a.held.heldAt))
    .map(({ held, via }) => ({
      ...jobView(held),
      owner: { ...(held.ownerName ? { displayName: held.ownerName } : {}), userPrincipalName: held.ownerUpn },
      via,
    }));
}

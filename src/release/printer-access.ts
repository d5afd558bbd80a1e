import type { Client } from '@microsoft/microsoft-graph-client';
import { classifyGraphError } from '../graph/graph-errors';
import { errorText, type Log } from '../observability/log';
import { isGuid } from '../graph/ids';
import type { SignedInUser } from './user-token';

/** Share access could not be looked up now (Graph busy, network, sign-in as the user): 503, never an allow. */
export class PrinterAccessUnavailable extends Error {
  override name = 'PrinterAccessUnavailable';
}

/** Which of these printers the user may print to directly; throws `PrinterAccessUnavailable`. */
export type PrinterAccessCheck = (
  user: SignedInUser,
  userToken: string,
  printerIds: readonly string[],
) => Promise<Set<string>>;

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;
const MEMBER_GROUPS_PER_CALL = 20; // checkMemberGroups takes at most 20 group ids

/**
 * Where a user may release a job without declared release printers: only to a printer they could
 * print to directly in Universal Print, i.e. one whose share they may use: the share allows all
 * users, lists them in `allowedUsers`, or lists a group they belong to (transitively) in
 * `allowedGroups`. A printer without a share is nobody's. The app cannot read shares (every
 * printerShare method is delegated-only), so they are read as the user (`graphAsUser`, on-behalf-of).
 * Answers are kept for a minute per user and printer; errors are never kept, and a transient one
 * (or a failed sign-in as the user) throws instead of deciding.
 */
export function printerAccess(options: {
  graphAsUser: (userToken: string) => Promise<Client>;
  /** The user's transitive membership among these groups (app-only checkMemberGroups). */
  memberOf: (userId: string, groupIds: readonly string[]) => Promise<Set<string>>;
  log: Log;
  ttlMs?: number;
  now?: () => number;
}): PrinterAccessCheck {
  const now = options.now ?? Date.now;
  const ttl = options.ttlMs ?? TTL_MS;
  const cache = new Map<string, { at: number; allowed: boolean }>();

  return async (user, userToken, printerIds) => {
    const allowed = new Set<string>();
    let client: Promise<Client> | undefined;
    const graph = () =>
      (client ??= options.graphAsUser(userToken).catch((error: unknown) => {
        options.log.error('release.sign-in-as-user-failed', {
          detail: errorText(error, 300),
          hint: 'The release API reads printer shares as the user (on-behalf-of): PrinterShare.Read.All (delegated) must be consented for the app.',
        });
        throw new PrinterAccessUnavailable('Could not sign in to Graph as the user');
      }));
    for (const printerId of new Set(printerIds.map((id) => id.toLowerCase()))) {
      if (!isGuid(printerId)) continue;
      const key = `${user.objectId}|${printerId}`;
      const known = cache.get(key);
      let may = known && now() - known.at < ttl ? known.allowed : undefined;
      if (may === undefined) {
        may = await mayPrintTo(await graph(), user.objectId, printerId);
        if (may !== undefined) {
          if (cache.size >= MAX_ENTRIES) cache.clear();
          cache.set(key, { at: now(), allowed: may });
        }
      }
      if (may) allowed.add(printerId);
    }
    return new Set(printerIds.filter((id) => allowed.has(id.toLowerCase())));
  };

  /** true or false; undefined when a permission is missing (not allowed, and not remembered). */
  async function mayPrintTo(client: Client, userId: string, printerId: string): Promise<boolean | undefined> {
    try {
      for (const shareId of await ids(client, `/print/printers/${printerId}/shares`)) {
        if (!isGuid(shareId)) continue;
        const share = (await client.api(`/print/shares/${shareId}`).select(['id', 'allowAllUsers']).get()) as {
          allowAllUsers?: boolean;
        };
        if (share.allowAllUsers === true) return true;
        const users = await ids(client, `/print/shares/${shareId}/allowedUsers`);
        if (users.some((id) => id.toLowerCase() === userId)) return true;
        const groups = (await ids(client, `/print/shares/${shareId}/allowedGroups`)).filter(isGuid);
        for (let i = 0; i < groups.length; i += MEMBER_GROUPS_PER_CALL) {
          if ((await options.memberOf(userId, groups.slice(i, i + MEMBER_GROUPS_PER_CALL))).size > 0) return true;
        }
      }
      return false;
    } catch (error) {
      const failure = classifyGraphError(error);
      if (failure.kind === 'not-found') return false; // no such printer: nobody's
      if (failure.kind === 'forbidden') {
        // A missing permission is not transient: nothing is allowed until the admin grants it.
        options.log.error('release.share-access-forbidden', {
          printerId,
          detail: failure.message,
          hint: 'Share access needs PrinterShare.Read.All (delegated, on-behalf-of the user), and GroupMember.Read.All (application) for shares granted to groups.',
        });
        return undefined;
      }
      options.log.warn('release.share-access-unavailable', { printerId, detail: failure.message });
      throw new PrinterAccessUnavailable(failure.message);
    }
  }
}

/** The ids of a collection, every page. */
async function ids(client: Client, path: string): Promise<string[]> {
  const out: string[] = [];
  let page = (await client.api(path).select(['id']).get()) as {
    value?: { id?: unknown }[];
    '@odata.nextLink'?: string;
  };
  for (;;) {
    for (const item of page.value ?? []) if (typeof item.id === 'string') out.push(item.id);
    const next = page['@odata.nextLink'];
    if (!next) return out;
    page = (await client.api(next).get()) as typeof page;
  }
}

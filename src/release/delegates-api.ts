import { z } from 'zod';
import type { UserActionEntry, UserActionLog } from '../audit/user-action-log';
import type { Person } from '../graph/print-api';
import { GUID_PATTERN, SAFE_SEGMENT_PATTERN } from '../graph/ids';
import type { DelegateRef, HoldStore } from '../holds/hold-store';
import { BODY_LIMITS } from '../http/body-cap';
import { errorResponse, type HttpRequestLike, type HttpResponseLike } from '../http/http-types';
import { readJsonBody } from '../http/json-body';
import { errorText, type Log } from '../observability/log';
import { MAX_DELEGATES, type DelegationStore } from './delegation-store';
import { signedInUser } from './release-auth';
import type { SignedInUser } from './user-token';

export type DelegatesAction = 'list' | 'add' | 'remove' | 'hand-over' | 'take-back' | 'people';

export interface DelegatesApiDependencies {
  verifyUser: (authorization: string | null) => Promise<SignedInUser>;
  holds: HoldStore;
  /** Undefined: delegation is off (RELEASE_GATE_DELEGATION=off); every call answers 404 `delegation_off`. */
  delegation?: DelegationStore;
  /** The directory (application permission User.ReadBasic.All): search by prefix, and one user by id. */
  people?: { search(text: string): Promise<Person[]>; find(id: string): Promise<Person | undefined> };
  userActions?: UserActionLog;
  /** False: this user searched too often just now (src/release/search-limit.ts); 429. */
  searchAllowed?: (userId: string) => boolean;
  log: Log;
  now?: () => Date;
}

const userId = z.string().regex(GUID_PATTERN, 'an object id');
const someone = z.strictObject({ id: userId });
const handOver = z.strictObject({ taskId: z.string().regex(SAFE_SEGMENT_PATTERN), to: someone });
const takeBack = z.strictObject({ taskId: z.string().regex(SAFE_SEGMENT_PATTERN) });
/** Directory search: at least this many characters (no listing the directory a letter at a time). */
export const MIN_PEOPLE_QUERY = 2;
const MAX_PEOPLE_QUERY = 64;

const refOf = (person: Person): DelegateRef => ({
  id: person.id.toLowerCase(),
  ...(person.userPrincipalName ? { userPrincipalName: person.userPrincipalName } : {}),
  ...(person.displayName ? { displayName: person.displayName } : {}),
});

/**
 * The release page's delegates API (issue 18): GET list (my delegates, whose delegate I am), POST add
 * {id} / remove {id}, POST hand-over {taskId, to:{id}} / take-back {taskId} (the job's owner only),
 * GET people?q= (directory search). Authorised like the jobs API (src/release/release-auth.ts): the
 * user is whoever the token says; an owner acts only on their own delegates and holds.
 */
export async function handleDelegatesApi(
  action: DelegatesAction,
  request: HttpRequestLike,
  deps: DelegatesApiDependencies,
): Promise<HttpResponseLike> {
  const signedIn = await signedInUser(request, deps.verifyUser);
  if ('refused' in signedIn) return signedIn.refused;
  const user = signedIn.user;
  const { delegation, people } = deps;
  if (!delegation || !people)
    return errorResponse(404, 'delegation_off', 'Delegates are not enabled in this organisation.');
  const headers = { 'cache-control': 'no-store' };
  const me: DelegateRef = {
    id: user.objectId.toLowerCase(),
    ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}),
    ...(user.name ? { displayName: user.name } : {}),
  };
  const owner = { id: user.objectId, userPrincipalName: user.userPrincipalName };
  const audit = (entry: Omit<UserActionEntry, 'at' | 'actor'>) =>
    deps.userActions
      ?.write({
        at: (deps.now ?? (() => new Date()))().toISOString(),
        actor: { id: me.id, ...(me.userPrincipalName ? { userPrincipalName: me.userPrincipalName } : {}) },
        ...entry,
      })
      // The step is done; a lost audit line is logged for an admin (no names, ids only).
      .catch((error: unknown) => deps.log.warn('user-action.not-recorded', { detail: errorText(error) }));
  const delegateOf = (ref: DelegateRef) => ({
    id: ref.id,
    ...(ref.userPrincipalName ? { userPrincipalName: ref.userPrincipalName } : {}),
  });
  /** A colleague named in a request: must exist in the directory, and not be the user. */
  const colleague = async (id: string): Promise<DelegateRef | HttpResponseLike> => {
    if (id.toLowerCase() === me.id) return errorResponse(400, 'not_yourself', 'Name a colleague, not yourself.');
    const person = await people.find(id);
    if (!person) return errorResponse(404, 'unknown_user', 'No such user in the directory.');
    return refOf(person);
  };
  const isResponse = (value: DelegateRef | HttpResponseLike): value is HttpResponseLike => 'status' in value;

  if (action === 'people') {
    const q = (request.query.get('q') ?? '').trim();
    if (q.length < MIN_PEOPLE_QUERY || q.length > MAX_PEOPLE_QUERY)
      return errorResponse(
        400,
        'query_length',
        `Type at least ${MIN_PEOPLE_QUERY} and at most ${MAX_PEOPLE_QUERY} characters.`,
      );
    if (deps.searchAllowed && !deps.searchAllowed(me.id))
      return errorResponse(429, 'too_many_searches', 'Too many searches; try again in a minute.', {
        'retry-after': '60',
      });
    const found = await people.search(q);
    // Never more than id, name and UPN, whatever the directory returned.
    return {
      status: 200,
      headers,
      jsonBody: {
        people: found.slice(0, 10).map((p) => ({
          id: p.id,
          ...(p.displayName ? { displayName: p.displayName } : {}),
          ...(p.userPrincipalName ? { userPrincipalName: p.userPrincipalName } : {}),
        })),
      },
    };
  }
  if (action === 'list') {
    const [delegates, owners] = await Promise.all([delegation.delegatesOf(me.id), delegation.ownersOf(me.id)]);
    return { status: 200, headers, jsonBody: { delegates, delegateOf: owners } };
  }

  const maxBytes = BODY_LIMITS.releaseApi;
  if (action === 'add' || action === 'remove') {
    const body = await readJsonBody(request, someone, { maxBytes });
    if (!body.ok) return body.response;
    if (action === 'remove') {
      const removed = await delegation.removeDelegate(me.id, body.data.id);
      if (removed) await audit({ action: 'delegate-removed', delegate: { id: body.data.id.toLowerCase() } });
      return { status: 200, headers, jsonBody: { removed } };
    }
    const delegate = await colleague(body.data.id);
    if (isResponse(delegate)) return delegate;
    const current = await delegation.delegatesOf(me.id);
    if (current.length >= MAX_DELEGATES && !current.some((d) => d.id === delegate.id))
      return errorResponse(409, 'too_many_delegates', `At most ${MAX_DELEGATES} delegates.`);
    await delegation.addDelegate(me, delegate);
    await audit({ action: 'delegate-added', delegate: delegateOf(delegate) });
    return { status: 200, headers, jsonBody: { delegate } };
  }

  if (action === 'hand-over') {
    const body = await readJsonBody(request, handOver, { maxBytes });
    if (!body.ok) return body.response;
    const { taskId } = body.data;
    // The owner's own hold only: nobody hands over a job that is not theirs (delegates included).
    const held = await deps.holds.get(owner, taskId);
    if (!held) return errorResponse(404, 'not_found', 'No such held job of yours.');
    if (held.noDelegation)
      return errorResponse(403, 'no_delegation', 'The policy does not let this job be handed to anyone.');
    const to = await colleague(body.data.to.id);
    if (isResponse(to)) return to;
    // The note first (it grants nothing alone), then the hold, which is what grants.
    await delegation.noteHandedOver(to.id, taskId, me);
    let before: DelegateRef | undefined;
    const after = await deps.holds.update(owner, taskId, (h) => {
      if (h.noDelegation) return undefined;
      before = h.handedTo;
      return { ...h, handedTo: to };
    });
    if (!after?.handedTo || after.handedTo.id !== to.id) {
      await delegation.forgetHandedOver(to.id, taskId);
      return errorResponse(409, 'not_handed_over', 'The job ended or changed meanwhile; it was not handed over.');
    }
    if (before && before.id !== to.id) await delegation.forgetHandedOver(before.id, taskId);
    await audit({ action: 'job-handed-over', delegate: delegateOf(to), taskId, jobId: held.jobId });
    return { status: 200, headers, jsonBody: { taskId, handedTo: to } };
  }

  // take-back
  const body = await readJsonBody(request, takeBack, { maxBytes });
  if (!body.ok) return body.response;
  const { taskId } = body.data;
  let from: DelegateRef | undefined;
  // The hold first: from this moment the colleague can no longer release it.
  const after = await deps.holds.update(owner, taskId, (h) => {
    from = h.handedTo;
    if (!h.handedTo) return undefined;
    const { handedTo: _dropped, ...rest } = h;
    return rest;
  });
  if (!after) return errorResponse(404, 'not_found', 'No such held job of yours.');
  if (from) {
    await delegation.forgetHandedOver(from.id, taskId);
    await audit({ action: 'job-taken-back', delegate: delegateOf(from), taskId, jobId: after.jobId });
  }
  return { status: 200, headers, jsonBody: { taskId, takenBack: !!from } };
}

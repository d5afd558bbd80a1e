import { z } from 'zod';
import { errorResponse, type HttpRequestLike, type HttpResponseLike } from '../http/http-types';
import { BODY_LIMITS } from '../http/body-cap';
import { readJsonBody } from '../http/json-body';
import { isPinShaped, MAX_PIN_LENGTH } from './pin-policy';
import type { HoldOwner } from '../holds/hold-store';
import { NO_USER_ID, type PinRecord, type PinStore } from './pin-store';
import type { AttemptLimiter, AttemptSubject } from './rate-limit';
import { releaseOrRefuse } from './release-api';
import { releaseHeldJobs, type ReleaseDependencies } from './release-held-jobs';
import { authenticateTerminal, type TerminalList } from './terminal-registry';
import { errorText } from '../observability/log';

export { authenticateTerminal, terminalKeyHash, terminalsSchema, type Terminal } from './terminal-registry';

/** The default badge format: 1 to 64 letters, digits and hyphens (RELEASE_GATE_BADGE_PATTERN). */
export const DEFAULT_BADGE_PATTERN = '^[A-Za-z0-9-]{1,64}$';

/**
 * A user principal name as Entra ID allows it (letters, digits and ' . - _ ! # ^ ~ before the @;
 * a domain after): `#EXT#` guests pass, a `/` or a space does not.
 */
const USER_NAME = /^[A-Za-z0-9'._!#^~-]{1,113}@[A-Za-z0-9.-]{1,255}$/;

/** How a user signs in at a terminal (RELEASE_GATE_TERMINAL_SIGN_IN). */
export type TerminalSignIn = 'badge-or-pin' | 'badge-and-pin';

const requestSchema = z.union([
  z.strictObject({ badge: z.string().max(256), pin: z.string().max(64).optional() }),
  z.strictObject({ userPrincipalName: z.string().max(400), pin: z.string().max(64) }),
]);

export interface TerminalDependencies extends ReleaseDependencies {
  terminals: (log: ReleaseDependencies['log']) => Promise<TerminalList>;
  pins: Pick<PinStore, 'forUser' | 'forName' | 'verify' | 'minLength'>;
  attempts: AttemptLimiter;
  /** The user a badge belongs to (Graph, by the configured attribute). */
  userByBadge: (badge: string) => Promise<{ id: string; userPrincipalName: string } | undefined>;
  badgePattern: RegExp;
  signIn: TerminalSignIn;
}

/**
 * The one answer for every refusal after the terminal is known: unknown badge or name, no PIN set,
 * wrong PIN, waiting after too many failures, nothing held. Same status, same body, same work done
 * (one badge look-up if a badge was sent, one PIN check, one hold listing), so none of them tells
 * who exists or who has a PIN.
 */
export const NOT_ACCEPTED = () =>
  errorResponse(
    401,
    'not_accepted',
    'Nothing was released: the badge or PIN was not accepted, you have nothing to print, or there were ' +
      'too many tries (wait a minute). You can also release your jobs on the release page.',
  );

/** The owner a refused attempt lists holds for, so every refusal does the same table work. */

/**
 * `POST /api/terminal/release`: a terminal releases all of a user's held jobs to its own printer,
 * after a badge swipe, a badge and PIN, or a user name and PIN. The printer comes from the
 * terminal's own record, never from the request: a terminal cannot send jobs elsewhere.
 */
export async function terminalRelease(request: HttpRequestLike, deps: TerminalDependencies): Promise<HttpResponseLike> {
  const known = await deps.terminals(deps.log);
  if ('unavailable' in known)
    return errorResponse(503, 'terminals_unavailable', 'Terminals are not available now; use the release page.', {
      'retry-after': '60',
    });
  const terminal = authenticateTerminal(
    known.terminals,
    request.headers.get('x-terminal-id'),
    request.headers.get('x-terminal-key'),
  );
  if (!terminal) return errorResponse(401, 'unknown_terminal', 'Unknown terminal or wrong key.');
  const parsed = await readJsonBody(request, requestSchema, {
    maxBytes: BODY_LIMITS.terminal,
    explain: () => 'Send { "badge" }, { "badge", "pin" } or { "userPrincipalName", "pin" }, nothing else.',
  });
  if (!parsed.ok) return parsed.response;
  const body = parsed.data;
  const badge = 'badge' in body ? body.badge : undefined;
  const upn = 'userPrincipalName' in body ? body.userPrincipalName : undefined;
  const pin = body.pin;
  // Malformed input is refused at once, before any look-up: the formats are public, so this tells nothing.
  if (badge !== undefined && !deps.badgePattern.test(badge))
    return errorResponse(400, 'invalid_badge', 'That is not a badge number this site uses.');
  if (upn !== undefined && !USER_NAME.test(upn))
    return errorResponse(400, 'invalid_user_name', 'That is not a user name (name@domain).');
  if (pin !== undefined && !isPinShaped(pin))
    return errorResponse(400, 'invalid_pin', `A PIN is up to ${MAX_PIN_LENGTH} digits.`);
  if (deps.signIn === 'badge-and-pin' && (badge === undefined || pin === undefined))
    return errorResponse(400, 'badge_and_pin_required', 'This site needs a badge and a PIN at terminals.');

  let user: { objectId: string; userPrincipalName: string } | undefined;
  let record: PinRecord | undefined;
  if (badge !== undefined) {
    let found: { id: string; userPrincipalName: string } | undefined;
    try {
      found = await deps.userByBadge(badge);
    } catch (error) {
      deps.log.error('terminal.badge-lookup-failed', {
        terminal: terminal.id,
        detail: errorText(error, 300),
        hint: 'Badge release needs the User.Read.All application permission (RELEASE_GATE_ALLOW_BADGE_RELEASE=true in azd).',
      });
      return errorResponse(
        502,
        'lookup_failed',
        'Badges cannot be looked up right now; use a PIN or the release page.',
      );
    }
    user = found ? { objectId: found.id, userPrincipalName: found.userPrincipalName } : undefined;
    // With a PIN, one record read whether or not the badge is known (the same work either way).
    if (pin !== undefined) {
      const found = await deps.pins.forUser(user?.objectId ?? NO_USER_ID);
      record = user ? found : undefined;
    }
  } else {
    record = await deps.pins.forName(upn!);
    user = record ? { objectId: record.objectId, userPrincipalName: record.userPrincipalName } : undefined;
  }

  const subject: AttemptSubject = user ? { objectId: user.objectId } : { typed: badge ?? upn! };
  const mustWait = await deps.attempts.mustWait(terminal.id, subject);
  // Always exactly one PIN check: against a stand-in when there is no record, no PIN, or a wait.
  const pinRight = await deps.pins.verify(mustWait ? undefined : record, pin);
  const pinAccepted = pin === undefined || (pinRight && pin.length >= deps.pins.minLength);
  const accepted = user !== undefined && !mustWait && pinAccepted;
  // Holds are found by the user's object id (guests' UPNs are no key); nobody's when refused (the same work).
  const owner: HoldOwner = accepted
    ? { id: user!.objectId, userPrincipalName: user!.userPrincipalName }
    : { id: NO_USER_ID };
  const held = await deps.holds.listByOwner(owner);

  if (!accepted || held.length === 0) {
    const why = !user
      ? 'unknown'
      : mustWait
        ? 'waiting'
        : !pinAccepted
          ? record
            ? 'wrong-pin'
            : 'no-pin'
          : 'nothing-held';
    // A right PIN with nothing held proves the user: their count starts again. Anything else counts.
    if (why === 'nothing-held' && pin !== undefined) await deps.attempts.recordSuccess(terminal.id, subject);
    else await deps.attempts.recordFailure(terminal.id, subject);
    deps.log.info('terminal.refused', { terminal: terminal.id, why, ...(user ? { userId: user.objectId } : {}) });
    return NOT_ACCEPTED();
  }
  if (pin !== undefined) await deps.attempts.recordSuccess(terminal.id, subject);

  const userPrincipalName = user!.userPrincipalName;
  // A terminal bound to a pull queue is a configuration error: 409, and the admin is told.
  const released = await releaseOrRefuse(
    () =>
      releaseHeldJobs(deps, {
        owner,
        taskIds: held.map((h) => h.taskId),
        printerId: terminal.printerId,
        via: `terminal ${terminal.id}`,
      }),
    409,
  );
  if ('refused' in released) {
    // Out of paper, jammed…: the user is told why (the same words as the page); not a set-up error.
    if (released.notReady) {
      deps.log.info('terminal.printer-not-ready', {
        terminal: terminal.id,
        printerId: terminal.printerId,
        reason: released.notReady.readiness.reason,
      });
      return released.refused;
    }
    deps.log.error('terminal.cannot-release', {
      terminal: terminal.id,
      printerId: terminal.printerId,
      detail: JSON.stringify(released.refused.jsonBody),
      ...(released.refused.status === 409
        ? {
            hint: 'Bind the terminal to the physical printer it stands by (RELEASE_GATE_TERMINALS), not to a pull queue.',
          }
        : {}),
    });
    return released.refused;
  }
  const { results } = released;
  deps.log.info('terminal.release', { terminal: terminal.id, printerId: terminal.printerId, jobs: results.length });
  return {
    status: 200,
    headers: { 'cache-control': 'no-store' },
    jsonBody: { user: userPrincipalName, printerId: terminal.printerId, results },
  };
}

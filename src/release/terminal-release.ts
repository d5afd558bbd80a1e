import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { errorResponse, type HttpRequestLike, type HttpResponseLike } from '../http/http-types';
import { readBodyWithLimit } from '../http/read-body';
import { GUID_PATTERN } from '../print/ids';
import type { PinStore } from './pin-store';
import { releaseOrRefuse } from './release-api';
import { releaseHeldJobs, type ReleaseDependencies } from './release-held-jobs';
import type { HoldOwner } from '../holds/hold-store';

/** A release terminal (badge reader, printer panel app): its own key, bound to one printer. */
export const terminalsSchema = z.array(
  z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
    printerId: z.string().regex(GUID_PATTERN),
    keySha256: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the terminal key, in hex'),
  }),
);
export type Terminal = z.infer<typeof terminalsSchema>[number];

/** Terminal keys are long random values, so a plain SHA-256 is enough to keep them out of settings. */
export const terminalKeyHash = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export function authenticateTerminal(
  terminals: readonly Terminal[],
  id: string | null,
  key: string | null,
): Terminal | undefined {
  const terminal = terminals.find((t) => t.id === id);
  const given = Buffer.from(terminalKeyHash(key ?? ''), 'hex');
  const expected = Buffer.from(terminal?.keySha256 ?? '0'.repeat(64), 'hex');
  const match = timingSafeEqual(given, expected);
  return terminal && key && match ? terminal : undefined;
}

const requestSchema = z.union([
  z.strictObject({ badge: z.string().min(1).max(64) }),
  z.strictObject({ userPrincipalName: z.string().min(3).max(256), pin: z.string().regex(/^\d{4,8}$/) }),
]);

export interface TerminalDependencies extends ReleaseDependencies {
  terminals: () => Promise<readonly Terminal[]>;
  pins: PinStore;
  /** The user a badge belongs to (Graph, by the configured attribute). */
  userByBadge: (badge: string) => Promise<{ id: string; userPrincipalName: string } | undefined>;
}

/**
 * `POST /api/terminal/release`: a terminal releases all of a user's held jobs to its own printer,
 * after a badge swipe or a user name and release PIN. The printer comes from the terminal's own
 * record, never from the request: a terminal cannot send jobs elsewhere.
 */
export async function terminalRelease(request: HttpRequestLike, deps: TerminalDependencies): Promise<HttpResponseLike> {
  const terminal = authenticateTerminal(
    await deps.terminals(),
    request.headers.get('x-terminal-id'),
    request.headers.get('x-terminal-key'),
  );
  if (!terminal) return errorResponse(401, 'unknown_terminal', 'Unknown terminal or wrong key.');
  const raw = await readBodyWithLimit(request.body, 4096);
  let json: unknown;
  try {
    json = raw.ok ? JSON.parse(raw.bytes.toString('utf8')) : undefined;
  } catch {
    return errorResponse(400, 'invalid_json', 'The body is not valid JSON.');
  }
  const body = requestSchema.safeParse(json);
  if (!body.success)
    return errorResponse(400, 'invalid_request', 'Send { "badge" } or { "userPrincipalName", "pin" }, nothing else.');

  let userPrincipalName: string;
  let owner: HoldOwner;
  if ('badge' in body.data) {
    let user: { id: string; userPrincipalName: string } | undefined;
    try {
      user = await deps.userByBadge(body.data.badge);
    } catch (error) {
      deps.log.error('terminal.badge-lookup-failed', {
        terminal: terminal.id,
        detail: (error as Error).message.slice(0, 300),
        hint: 'Badge release needs the User.Read.All application permission (RELEASE_GATE_ALLOW_BADGE_RELEASE=true in azd).',
      });
      return errorResponse(
        502,
        'lookup_failed',
        'Badges cannot be looked up right now; use a PIN or the release page.',
      );
    }
    if (!user) return errorResponse(404, 'unknown_badge', 'This badge is not known.');
    userPrincipalName = user.userPrincipalName;
    owner = user; // the directory's user: holds are found by object id
  } else {
    const check = await deps.pins.check(body.data.userPrincipalName, body.data.pin);
    if (check === 'locked')
      return errorResponse(423, 'locked', 'Too many wrong PINs: try again later or use the release page.');
    if (check !== 'ok') return errorResponse(401, 'wrong_pin', 'Wrong user name or PIN.');
    userPrincipalName = body.data.userPrincipalName;
    owner = { userPrincipalName }; // PINs name a UPN, not an object id: matched on the UPN jobs were held under
  }
  const held = await deps.holds.listByOwner(owner);
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

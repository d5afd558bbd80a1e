import type { Settings } from '../config/settings';
import type { MessageOutbox } from '../messages/message-model';
import { describeError, type Log } from '../observability/log';
import { ownerOf, type HeldJob, type HoldStore } from './hold-store';

export interface ExpiryWarningOptions {
  /** RELEASE_GATE_EXPIRY_WARNING_MINUTES: how long before expiry the owner is warned. */
  minutes: number;
  /** The release page (its `?keep=<taskId>` link keeps a job longer). */
  releasePageUrl: string;
}

export interface ExpiryWarningDependencies {
  holds: HoldStore;
  messages?: MessageOutbox;
  log: Log;
  now?: () => Date;
}

export interface ExpiryWarningReport {
  warned: number;
  failed: number;
}

/** Holds read per pass: warned ones are in the window too, so more than the expiry pass reads. */
const SCAN_LIMIT = 1000;

/**
 * The release page address for messages: RELEASE_GATE_RELEASE_PAGE_URL, else /api/release on the
 * host of RELEASE_GATE_NOTIFICATION_URL (where the app is reachable from outside).
 */
export function expiryWarningOptions(settings: Settings): ExpiryWarningOptions | undefined {
  const page =
    settings.RELEASE_GATE_RELEASE_PAGE_URL ??
    (settings.RELEASE_GATE_NOTIFICATION_URL
      ? new URL('/api/release', settings.RELEASE_GATE_NOTIFICATION_URL).toString()
      : undefined);
  return page ? { minutes: settings.RELEASE_GATE_EXPIRY_WARNING_MINUTES, releasePageUrl: page } : undefined;
}

/**
 * When a hold's owner is warned: `minutes` before it expires, but never earlier than half-way
 * through the hold (a 30-minute hold is not warned about the moment it is held).
 */
export function warnFrom(held: HeldJob, minutes: number): number {
  const expires = Date.parse(held.expiresAt);
  const length = expires - Date.parse(held.heldAt);
  return expires - Math.min(minutes * 60_000, length / 2);
}

/** Whether "keep longer" can still move this hold's expiry. */
export const canKeepLonger = (held: HeldJob): boolean =>
  !!held.keepUntilMax && Date.parse(held.keepUntilMax) > Date.parse(held.expiresAt);

/**
 * Warns the owners of holds about to expire (message `expiry-warning`), once per expiresAt: the
 * hold records `warnedAt`, and a kept hold (new expiresAt, warnedAt cleared) is warned again. The
 * message is posted before `warnedAt` is set: a run that dies between the two posts it again with
 * the same id, which the sender drops. Nothing here throws: a failure is logged and expiry goes on.
 */
export async function sendExpiryWarnings(
  deps: ExpiryWarningDependencies,
  options: ExpiryWarningOptions,
): Promise<ExpiryWarningReport> {
  const report: ExpiryWarningReport = { warned: 0, failed: 0 };
  const messages = deps.messages;
  if (!messages?.wants('expiry-warning')) return report; // turned off: no scan at all
  const now = (deps.now ?? (() => new Date()))();
  let due: HeldJob[];
  try {
    const soon = await deps.holds.listExpired(new Date(now.getTime() + options.minutes * 60_000), SCAN_LIMIT);
    due = soon.filter(
      (h) => !h.warnedAt && Date.parse(h.expiresAt) > now.getTime() && warnFrom(h, options.minutes) <= now.getTime(),
    );
  } catch (error) {
    deps.log.warn('hold.expiry-warnings-failed', describeError(error));
    return report;
  }
  for (const held of due) {
    const log = deps.log.with({ correlationId: held.correlationId, taskId: held.taskId });
    try {
      const page = new URL(options.releasePageUrl);
      const keep = new URL(page);
      keep.searchParams.set('keep', held.taskId);
      const queued = await messages.post({
        kind: 'expiry-warning',
        id: `${held.taskId}:expiry-warning:${held.expiresAt}`,
        to: { id: held.ownerId, userPrincipalName: held.ownerUpn },
        ...(held.documentName ? { documentName: held.documentName } : {}),
        expiresAt: held.expiresAt,
        releaseUrl: page.toString(),
        ...(canKeepLonger(held) ? { keepUrl: keep.toString() } : {}),
        correlationId: held.correlationId,
      });
      // Not queued (logged by the outbox): not marked, so the next run tries again.
      if (!queued) {
        report.failed++;
        continue;
      }
      // Only for the expiry warned about: a hold kept meanwhile is warned again later.
      await deps.holds.update(ownerOf(held), held.taskId, (current) =>
        current.expiresAt === held.expiresAt && !current.warnedAt
          ? { ...current, warnedAt: now.toISOString() }
          : undefined,
      );
      report.warned++;
      log.info('hold.expiry-warned', { expiresAt: held.expiresAt, keepable: canKeepLonger(held) });
    } catch (error) {
      report.failed++;
      log.warn('hold.expiry-warning-failed', describeError(error));
    }
  }
  return report;
}

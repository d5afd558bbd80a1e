import { classifyGraphError } from '../graph/graph-errors';
import type { PrintApi } from '../graph/print-api';
import type { Subscription } from '../graph/print-schemas';
import type { Log } from '../observability/log';
import { FunctionKeyMissingError, isLoopbackUrl } from './function-key';
import { sameEndpoint, subscribedUrl } from './notification-url';

/** Graph's maximum for print task definitions is 4230 minutes; stay a little under it. */
export const SUBSCRIPTION_LIFETIME_MINUTES = 4200;
/** Renew once less than this is left: a day of slack survives a long outage of the timer. */
export const RENEW_WHEN_LESS_THAN_MINUTES = 24 * 60;
/** A check is healthy when the subscription it leaves has at least this long to live. */
export const HEALTHY_MINUTES_LEFT = 12 * 60;

/** Told after each healthy check (an unsampled metric: the absence alert counts them). */
export interface KeeperSignals {
  subscriptionHealthy(action: KeeperAction): void;
}

export interface SubscriptionTarget {
  taskDefinitionId: string;
  notificationUrl: string;
  lifecycleUrl?: string;
  clientState: string;
  /** The key Graph sends on both URLs (`?code=`); only loopback URLs may go without. */
  functionKey?: string;
  /** Our app's client id: subscriptions another app made are never touched. */
  appId?: string;
}

export type KeeperAction = 'created' | 'renewed' | 'replaced' | 'unchanged';

export interface KeeperReport {
  action: KeeperAction;
  subscription: Subscription;
  minutesLeft: number;
}

export const taskResource = (taskDefinitionId: string) => `print/taskDefinitions/${taskDefinitionId}/tasks`;
const inMinutes = (now: Date, minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();
const minutesLeft = (s: Subscription, now: Date) =>
  Math.floor((Date.parse(s.expirationDateTime) - now.getTime()) / 60_000);

/**
 * Keeps exactly one subscription for our task definition at our notification URL: creates it when
 * missing, renews it well before expiry (a PATCH also reauthorizes), and replaces it when either URL,
 * the function key or the clientState changed. Both URLs carry the function key (`code`) and the
 * clientState fingerprint (`cs`), so a rotated key or clientState shows as a changed URL. Graph allows
 * one subscription per resource and change type, so a replacement is delete-then-create; the
 * reconciler covers the seconds in between. Without a key for a public URL nothing is created or
 * changed: it throws {@link FunctionKeyMissingError}, so the timer run fails and is retried.
 */
export async function maintainSubscription(
  api: PrintApi,
  target: SubscriptionTarget,
  log: Log,
  options: { now?: Date; forceRenew?: boolean; signals?: KeeperSignals } = {},
): Promise<KeeperReport> {
  const now = options.now ?? new Date();
  const resource = taskResource(target.taskDefinitionId).toLowerCase();
  const publicUrls = [target.notificationUrl, target.lifecycleUrl].filter((u): u is string => !!u && !isLoopbackUrl(u));
  if (!target.functionKey && publicUrls.length > 0)
    throw new FunctionKeyMissingError(
      'no function key was given for the public subscription URLs',
      'set the function key secret (RELEASE_GATE_FUNCTION_KEY_SECRET_NAME) or RELEASE_GATE_FUNCTION_KEY',
    );
  const desiredUrl = subscribedUrl(target.notificationUrl, target.clientState, target.functionKey);
  const desiredLifecycleUrl = target.lifecycleUrl
    ? subscribedUrl(target.lifecycleUrl, target.clientState, target.functionKey)
    : undefined;
  const ours = (await api.listSubscriptions()).filter(
    (s) =>
      s.resource.replace(/^\//, '').toLowerCase() === resource &&
      s.changeType.split(',').includes('created') &&
      (!target.appId || !s.applicationId || s.applicationId.toLowerCase() === target.appId.toLowerCase()),
  );

  const current = ours.find((s) => sameEndpoint(s.notificationUrl, target.notificationUrl));
  for (const stray of ours.filter((s) => s !== current)) {
    log.warn('subscription.stray-removed', {
      subscriptionId: stray.id,
      notificationUrl: new URL(stray.notificationUrl).origin,
    });
    await deleteIgnoringMissing(api, stray.id);
  }

  let report: KeeperReport;
  const lifecycleChanged = current && (current.lifecycleNotificationUrl ?? undefined) !== desiredLifecycleUrl;
  if (current && (current.notificationUrl !== desiredUrl || lifecycleChanged)) {
    // New clientState or function key (both URLs change), or lifecycle URL: the lifecycle URL cannot
    // be PATCHed and the clientState cannot either, so replace.
    await deleteIgnoringMissing(api, current.id);
    report = { action: 'replaced', ...(await create(api, target, desiredUrl, desiredLifecycleUrl, now)) };
  } else if (current) {
    const left = minutesLeft(current, now);
    if (left > RENEW_WHEN_LESS_THAN_MINUTES && !options.forceRenew) {
      report = { action: 'unchanged', subscription: current, minutesLeft: left };
    } else {
      const renewed = await api.renewSubscription(current.id, inMinutes(now, SUBSCRIPTION_LIFETIME_MINUTES));
      report = { action: 'renewed', subscription: renewed, minutesLeft: minutesLeft(renewed, now) };
    }
  } else {
    report = { action: 'created', ...(await create(api, target, desiredUrl, desiredLifecycleUrl, now)) };
  }
  log.info('subscription.checked', {
    action: report.action,
    subscriptionId: report.subscription.id,
    minutesLeft: report.minutesLeft,
    expirationDateTime: report.subscription.expirationDateTime,
  });
  if (report.minutesLeft >= HEALTHY_MINUTES_LEFT) options.signals?.subscriptionHealthy(report.action);
  return report;
}

async function create(
  api: PrintApi,
  target: SubscriptionTarget,
  notificationUrl: string,
  lifecycleNotificationUrl: string | undefined,
  now: Date,
) {
  const subscription = await api.createSubscription({
    resource: taskResource(target.taskDefinitionId),
    changeType: 'created',
    notificationUrl,
    ...(lifecycleNotificationUrl ? { lifecycleNotificationUrl } : {}),
    clientState: target.clientState,
    expirationDateTime: inMinutes(now, SUBSCRIPTION_LIFETIME_MINUTES),
  });
  return { subscription, minutesLeft: minutesLeft(subscription, now) };
}

async function deleteIgnoringMissing(api: PrintApi, id: string): Promise<void> {
  try {
    await api.deleteSubscription(id);
  } catch (error) {
    if (classifyGraphError(error).kind !== 'not-found') throw error;
  }
}

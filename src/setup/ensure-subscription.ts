import type { PrintApi } from '../graph/print-api';
import type { Subscription } from '../graph/print-schemas';

/** Graph's maximum for print task definitions is 4230 minutes; stay a little under it. */
export const SUBSCRIPTION_LIFETIME_MINUTES = 4200;
/** Renew once less than this is left; a day of slack survives a long outage of the timer. */
export const RENEW_WHEN_LESS_THAN_MINUTES = 24 * 60;

export interface SubscriptionTarget {
  taskDefinitionId: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  clientState: string;
}

export type SubscriptionOutcome = { subscription: Subscription; action: 'created' | 'renewed' | 'unchanged' };

export const taskResource = (taskDefinitionId: string) => `print/taskDefinitions/${taskDefinitionId}/tasks`;

const minutesFrom = (now: Date, minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();

/**
 * Keeps one subscription for our task definition at our notification URL: renews it when it is
 * close to expiry, creates it when missing (Graph validates the URL with a handshake first).
 */
export async function ensureSubscription(
  api: PrintApi,
  target: SubscriptionTarget,
  now: Date = new Date(),
): Promise<SubscriptionOutcome> {
  const resource = taskResource(target.taskDefinitionId).toLowerCase();
  const existing = (await api.listSubscriptions()).find(
    (s) => s.resource.replace(/^\//, '').toLowerCase() === resource && s.notificationUrl === target.notificationUrl,
  );
  if (existing) {
    const minutesLeft = (Date.parse(existing.expirationDateTime) - now.getTime()) / 60_000;
    if (minutesLeft > RENEW_WHEN_LESS_THAN_MINUTES) return { subscription: existing, action: 'unchanged' };
    return {
      subscription: await api.renewSubscription(existing.id, minutesFrom(now, SUBSCRIPTION_LIFETIME_MINUTES)),
      action: 'renewed',
    };
  }
  const subscription = await api.createSubscription({
    resource: taskResource(target.taskDefinitionId),
    changeType: 'created',
    notificationUrl: target.notificationUrl,
    ...(target.lifecycleNotificationUrl ? { lifecycleNotificationUrl: target.lifecycleNotificationUrl } : {}),
    clientState: target.clientState,
    expirationDateTime: minutesFrom(now, SUBSCRIPTION_LIFETIME_MINUTES),
  });
  return { subscription, action: 'created' };
}

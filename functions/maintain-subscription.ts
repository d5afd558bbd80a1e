import { app, type InvocationContext, type Timer } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';

/** Every 30 minutes: one subscription for our task definition, renewed well before it expires. */
export async function maintainSubscriptionTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLog(context);
  const { keepSubscription } = await import('../src/upkeep/upkeep-jobs');
  await keepSubscription(currentApp().upkeep(log), log);
}

app.timer('maintain-subscription', { schedule: '0 */30 * * * *', handler: maintainSubscriptionTimer });

import { app, type InvocationContext, type Timer } from '@azure/functions';
import { createLog } from '../src/observability/log';

/** Every 30 minutes: one subscription for our task definition, renewed well before it expires. */
export async function maintainSubscriptionTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  const { keepSubscription } = await import('../src/upkeep/upkeep-jobs');
  await keepSubscription(log);
}

app.timer('maintain-subscription', { schedule: '0 */30 * * * *', handler: maintainSubscriptionTimer });

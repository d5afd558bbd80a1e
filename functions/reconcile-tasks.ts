import { app, type InvocationContext, type Timer } from '@azure/functions';
import { createLog } from '../src/observability/log';

/** Every 2 minutes: queue processing tasks whose notification never came, so no job is stuck. */
export async function reconcileTasksTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  const { reconcile } = await import('../src/upkeep/upkeep-jobs');
  await reconcile(log);
}

app.timer('reconcile-tasks', { schedule: '0 */2 * * * *', handler: reconcileTasksTimer });

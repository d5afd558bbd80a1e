import { app, type InvocationContext, type Timer } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';

/** Every 2 minutes: queue processing tasks whose notification never came, so no job is stuck. */
export async function reconcileTasksTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLog(context);
  const { reconcile } = await import('../src/upkeep/upkeep-jobs');
  await reconcile(currentApp().upkeep(log), log);
}

app.timer('reconcile-tasks', { schedule: '0 */2 * * * *', handler: reconcileTasksTimer });

import { app, type InvocationContext, type Timer } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';

/** Every minute: holds past their expiry get their expiry action (release or deny). */
export async function expireHeldJobs(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLog(context);
  // Lazy: keeps the Graph SDK off the worker's start-up path (see process-task.ts).
  const [{ expireHolds }, full] = await Promise.all([import('../src/holds/expire-holds'), currentApp().full(log)]);
  const report = await expireHolds(await full.processor(log));
  if (report.expired > 0 || report.vanished > 0 || report.retryLater > 0) log.info('holds.expired', { ...report });
}

app.timer('expire-holds', { schedule: '0 * * * * *', handler: expireHeldJobs });

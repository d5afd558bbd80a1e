import { app, type InvocationContext, type Timer } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';

/** Every minute: holds past their expiry get their expiry action (release or deny); owners of holds about to expire are warned. */
export async function expireHeldJobs(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLog(context);
  // Lazy: keeps the Graph SDK off the worker's start-up path (see process-task.ts).
  const [{ expireHolds }, { expiryWarningOptions }, full] = await Promise.all([
    import('../src/holds/expire-holds'),
    import('../src/holds/expiry-warnings'),
    currentApp().full(log),
  ]);
  const warnings = expiryWarningOptions(currentApp().settings);
  const report = await expireHolds({
    ...(await full.processor(log)),
    ...(warnings ? { expiryWarnings: warnings } : {}),
  });
  if (report.expired > 0 || report.vanished > 0 || report.retryLater > 0 || report.warned > 0)
    log.info('holds.expired', { ...report });
}

app.timer('expire-holds', { schedule: '0 * * * * *', handler: expireHeldJobs });

import { app, type InvocationContext, type Timer } from '@azure/functions';
import { createLog } from '../src/observability/log';

/** Every minute: holds past their expiry get their expiry action (release or deny). */
export async function expireHeldJobs(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  // Lazy: keeps the Graph SDK off the worker's start-up path (see process-task.ts).
  const [{ expireHolds }, { processorDependencies }] = await Promise.all([
    import('../src/holds/expire-holds'),
    import('../src/processor/processor-dependencies'),
  ]);
  const report = await expireHolds(await processorDependencies(log));
  if (report.expired > 0 || report.vanished > 0 || report.retryLater > 0) log.info('holds.expired', { ...report });
}

app.timer('expire-holds', { schedule: '0 * * * * *', handler: expireHeldJobs });

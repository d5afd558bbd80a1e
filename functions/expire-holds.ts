import { app, type InvocationContext, type Timer } from '@azure/functions';
import { expireHolds } from '../src/holds/expire-holds';
import { createLog } from '../src/observability/log';
import { processorDependencies } from '../src/processor/processor-dependencies';

/** Every minute: holds past their expiry get their expiry action (release or deny). */
export async function expireHeldJobs(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  const report = await expireHolds(await processorDependencies(log));
  if (report.expired > 0 || report.retryLater > 0) log.info('holds.expired', { ...report });
}

app.timer('expire-holds', { schedule: '0 * * * * *', handler: expireHeldJobs });

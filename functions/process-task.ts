import { app, type InvocationContext } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';
import { parsePrintTaskMessage } from '../src/queue/print-task-message';

/** One queued print task: read the job, ask the policy, act on Graph, audit. */
export async function processTaskMessage(message: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLog(context, { dequeueCount: context.triggerMetadata?.dequeueCount });
  // An unreadable message throws: after the retries it is parked in the poison queue for an admin.
  const task = parsePrintTaskMessage(message);
  // Loaded on first use: every function file loads when the worker starts, and the Graph and
  // identity SDKs must not slow the webhook's cold start.
  const [{ processTask }, full] = await Promise.all([import('../src/processor/process-task'), currentApp().full(log)]);
  await processTask(task, await full.processor(log));
}

app.storageQueue('process-task', {
  queueName: '%RELEASE_GATE_TASK_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: processTaskMessage,
});

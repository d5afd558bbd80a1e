import { app, type InvocationContext } from '@azure/functions';
import { createLog } from '../src/observability/log';
import { processTask } from '../src/processor/process-task';
import { processorDependencies } from '../src/processor/processor-dependencies';
import { parsePrintTaskMessage } from '../src/queue/print-task-message';

/** One queued print task: read the job, ask the policy, act on Graph, audit. */
export async function processTaskMessage(message: unknown, context: InvocationContext): Promise<void> {
  const log = createLog(context, {
    functionName: context.functionName,
    invocationId: context.invocationId,
    dequeueCount: context.triggerMetadata?.dequeueCount,
  });
  // An unreadable message throws: after the retries it is parked in the poison queue for an admin.
  const task = parsePrintTaskMessage(message);
  await processTask(task, await processorDependencies(log));
}

app.storageQueue('process-task', {
  queueName: '%RELEASE_GATE_TASK_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: processTaskMessage,
});

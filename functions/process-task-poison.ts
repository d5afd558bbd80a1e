import { app, type InvocationContext } from '@azure/functions';
import { createLog } from '../src/observability/log';
import { handlePoisonedTask } from '../src/processor/handle-poisoned-task';
import { processorDependencies } from '../src/processor/processor-dependencies';

/** Tasks that failed every retry: apply the fail-safe so no job stays stuck, and raise an alert. */
export async function processPoisonedTask(message: unknown, context: InvocationContext): Promise<void> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  await handlePoisonedTask(message, await processorDependencies(log), log);
}

app.storageQueue('process-task-poison', {
  queueName: '%RELEASE_GATE_TASK_QUEUE%-poison',
  connection: 'AzureWebJobsStorage',
  handler: processPoisonedTask,
});

import { app, type InvocationContext } from '@azure/functions';
import { createLog } from '../src/observability/log';

/** Tasks that failed every retry: apply the fail-safe so no job stays stuck, and raise an alert. */
export async function processPoisonedTask(message: unknown, context: InvocationContext): Promise<void> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  // Lazy: keeps the Graph SDK off the worker's start-up path (see process-task.ts).
  const [{ handlePoisonedTask }, { processorDependencies }] = await Promise.all([
    import('../src/processor/handle-poisoned-task'),
    import('../src/processor/processor-dependencies'),
  ]);
  await handlePoisonedTask(message, await processorDependencies(log), log);
}

app.storageQueue('process-task-poison', {
  queueName: '%RELEASE_GATE_TASK_QUEUE%-poison',
  connection: 'AzureWebJobsStorage',
  handler: processPoisonedTask,
});

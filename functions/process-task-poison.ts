import { app, type InvocationContext } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';

/** Tasks that failed every retry: apply the fail-safe so no job stays stuck, and raise an alert. */
export async function processPoisonedTask(message: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLog(context);
  // Lazy: keeps the Graph SDK off the worker's start-up path (see process-task.ts).
  const [{ handlePoisonedTask }, full] = await Promise.all([
    import('../src/processor/handle-poisoned-task'),
    currentApp().full(log),
  ]);
  await handlePoisonedTask(message, await full.processor(log), log);
}

app.storageQueue('process-task-poison', {
  queueName: '%RELEASE_GATE_TASK_QUEUE%-poison',
  connection: 'AzureWebJobsStorage',
  handler: processPoisonedTask,
});

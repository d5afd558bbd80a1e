import { app, type InvocationContext } from '@azure/functions';
import { createLog } from '../src/observability/log';
import { controlMessageSchema } from '../src/queue/control-message';

/** Plumbing work queued by the lifecycle URL: renew or recreate the subscription, reconcile now. */
export async function controlMessage(message: unknown, context: InvocationContext): Promise<void> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  const parsed = controlMessageSchema.parse(message);
  const { handleControlMessage } = await import('../src/upkeep/upkeep-jobs');
  await handleControlMessage(parsed, log);
}

app.storageQueue('control', {
  queueName: '%RELEASE_GATE_CONTROL_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: controlMessage,
});

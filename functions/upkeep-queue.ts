import { app, type InvocationContext } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';
import { controlMessageSchema } from '../src/queue/control-message';

/** Upkeep work queued by the lifecycle URL: renew or recreate the subscription, reconcile now. */
export async function controlMessage(message: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLog(context);
  const parsed = controlMessageSchema.parse(message);
  const { handleControlMessage } = await import('../src/upkeep/control-messages');
  await handleControlMessage(parsed, currentApp().upkeep(log), log);
}

app.storageQueue('control', {
  queueName: '%RELEASE_GATE_CONTROL_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: controlMessage,
});

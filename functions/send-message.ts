import { app, type InvocationContext } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';

/** One queued user message: look up the recipient, send the email (see src/messages/send-message.ts). */
export async function sendMessage(message: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLog(context, { dequeueCount: context.triggerMetadata?.dequeueCount });
  // Lazy: keeps the Graph SDK off the worker's start-up path (see process-task.ts). A transient
  // failure throws: the queue retries, then parks the message in <queue>-poison for an admin.
  const [{ sendUserMessage }, full] = await Promise.all([
    import('../src/messages/send-message'),
    currentApp().full(log),
  ]);
  await sendUserMessage(message, await full.messenger(log));
}

app.storageQueue('send-message', {
  queueName: '%RELEASE_GATE_MESSAGE_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: sendMessage,
});

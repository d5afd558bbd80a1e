import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { createLog } from '../src/observability/log';
import { receiveNotifications } from '../src/webhook/receive-notifications';
import { webhookDependencies } from '../src/webhook/webhook-dependencies';

/** Graph's change notifications for our print tasks: validate, queue, answer 202 within 3 s. */
export async function notifications(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  return receiveNotifications(request, webhookDependencies(log));
}

app.http('notifications', {
  route: 'notifications',
  methods: ['POST'],
  // Graph calls the notification URL with the function key in its query string (?code=…).
  authLevel: 'function',
  handler: notifications,
});

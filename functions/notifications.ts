import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';
import { receiveNotifications } from '../src/webhook/receive-notifications';

/** Graph's change notifications for our print tasks: validate, queue, answer 202 within 3 s. */
export async function notifications(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  return receiveNotifications(request, currentApp().webhook(log));
}

app.http('notifications', {
  route: 'notifications',
  methods: ['POST'],
  // Graph calls the notification URL with the function key in its query string (?code=…).
  authLevel: 'function',
  handler: notifications,
});

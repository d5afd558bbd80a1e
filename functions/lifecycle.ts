import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';
import { receiveLifecycleEvents } from '../src/webhook/receive-lifecycle';

/**
 * Graph's lifecycle notifications: validate, queue the work, 202. For print subscriptions Graph sends
 * only reauthorizationRequired, repeatedly; removal and missed are handled should they come.
 */
export async function lifecycle(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  return receiveLifecycleEvents(request, currentApp().lifecycle(log));
}

app.http('lifecycle', { route: 'lifecycle', methods: ['POST'], authLevel: 'function', handler: lifecycle });

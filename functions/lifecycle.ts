import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { createLog } from '../src/observability/log';
import { receiveLifecycleEvents } from '../src/webhook/receive-lifecycle';
import { lifecycleDependencies } from '../src/webhook/webhook-dependencies';

/**
 * Graph's lifecycle notifications: validate, queue the work, 202. For print subscriptions Graph sends
 * only reauthorizationRequired, repeatedly; removal and missed are handled should they come.
 */
export async function lifecycle(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  return receiveLifecycleEvents(request, lifecycleDependencies(log));
}

app.http('lifecycle', { route: 'lifecycle', methods: ['POST'], authLevel: 'function', handler: lifecycle });

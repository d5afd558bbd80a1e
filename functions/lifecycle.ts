import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { createLog } from '../src/observability/log';
import { receiveLifecycleEvents } from '../src/webhook/receive-lifecycle';
import { lifecycleDependencies } from '../src/webhook/webhook-dependencies';

/** Graph's lifecycle notifications (reauthorization, removal, missed): validate, queue the work, 202. */
export async function lifecycle(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  return receiveLifecycleEvents(request, lifecycleDependencies(log));
}

app.http('lifecycle', { route: 'lifecycle', methods: ['POST'], authLevel: 'function', handler: lifecycle });

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { BODY_LIMITS, withBodyCap } from '../src/http/body-cap';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';

/**
 * Delegates and hand-over (RELEASE_GATE_DELEGATION=on): GET /api/release/delegates, POST
 * /api/release/delegates/{add|remove|hand-over|take-back}, and GET /api/release/people?q= (directory
 * search). Anonymous at the host: every call is authorised by the user's own Entra ID token.
 */
const POST_ACTIONS = ['add', 'remove', 'hand-over', 'take-back'] as const;

export async function releaseDelegates(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  const { handleDelegatesApi } = await import('../src/release/delegates-api');
  const named = request.params.action;
  const action = POST_ACTIONS.find((a) => a === named) ?? (named ? undefined : 'list');
  if (!action) return { status: 404 };
  if ((action === 'list') !== (request.method === 'GET')) return { status: 405 };
  const full = await currentApp().full(log);
  return handleDelegatesApi(action, request, await full.delegatesApi(log));
}

export async function releasePeople(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  const { handleDelegatesApi } = await import('../src/release/delegates-api');
  const full = await currentApp().full(log);
  return handleDelegatesApi('people', request, await full.delegatesApi(log));
}

app.http('release-delegates', {
  route: 'release/delegates/{action?}',
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  handler: withBodyCap(BODY_LIMITS.releaseApi, releaseDelegates),
});

app.http('release-people', {
  route: 'release/people',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: releasePeople,
});

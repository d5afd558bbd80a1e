import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { BODY_LIMITS, withBodyCap } from '../src/http/body-cap';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';

/**
 * The release page's API (pull printing): GET /api/release/jobs, POST /api/release/jobs/release,
 * POST /api/release/jobs/delete, POST /api/release/jobs/pin (set the user's terminal PIN), POST /api/release/jobs/keep
 * (keep held jobs longer). Anonymous at the host: every call is authorised by the user's own
 * Entra ID token, verified in src/release/user-token.ts.
 */
export async function releaseApi(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  const { handleReleaseApi } = await import('../src/release/release-api');
  const action = (['release', 'delete', 'pin', 'keep'] as const).find((a) => a === request.params.action) ?? 'list';
  if ((action === 'list') !== (request.method === 'GET')) return { status: 405 };
  const full = await currentApp().full(log);
  return handleReleaseApi(action, request, await full.releaseApi(log));
}

app.http('release-api', {
  route: 'release/jobs/{action?}',
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  handler: withBodyCap(BODY_LIMITS.releaseApi, releaseApi),
});

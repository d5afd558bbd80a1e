import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';

/**
 * `GET /api/release/printers`: where the signed-in user may release held jobs, with names and
 * locations (the release page's printer list). Authorised by the user's token, like the jobs API.
 */
export async function listReleasePrinters(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  const { handleReleaseApi } = await import('../src/release/release-api');
  const full = await currentApp().full(log);
  return handleReleaseApi('printers', request, await full.releaseApi(log));
}

app.http('release-printers', {
  route: 'release/printers',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: listReleasePrinters,
});

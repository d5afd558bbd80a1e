import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { createLog } from '../src/observability/log';

/**
 * `GET /api/release/printers`: where the signed-in user may release held jobs, with names and
 * locations (the release page's printer list). Authorised by the user's token, like the jobs API.
 */
export async function listReleasePrinters(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  const { handleReleaseApi } = await import('../src/release/release-api');
  const { releaseApiDependencies } = await import('../src/release/release-api-dependencies');
  return handleReleaseApi('printers', request, await releaseApiDependencies(log));
}

app.http('release-printers', {
  route: 'release/printers',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: listReleasePrinters,
});

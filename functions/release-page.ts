import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { currentApp } from '../src/app/app';

/**
 * `GET /api/release`: the release page users reach by scanning a printer's QR code
 * (`?printer=<printer id>` preselects that printer). Anonymous: the page signs the user in with
 * Entra ID, and the API it calls verifies every token.
 */
export async function serveReleasePage(_request: HttpRequest): Promise<HttpResponseInit> {
  const { releasePage } = await import('../src/release/release-page');
  const { releasePageConfigFromSettings } = await import('../src/app/release-page-config');
  return releasePage(releasePageConfigFromSettings(currentApp().settings));
}

app.http('release-page', {
  route: 'release',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: serveReleasePage,
});

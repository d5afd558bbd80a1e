import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { currentApp } from '../src/app/app';

/** `GET /api/release/assets/{file}`: the release page's script and style sheet. */
export async function serveReleaseAsset(request: HttpRequest): Promise<HttpResponseInit> {
  const { releaseAsset } = await import('../src/release/release-page');
  const { releasePageConfigFromSettings } = await import('../src/app/release-page-config');
  return releaseAsset(
    request.params.file,
    request.headers.get('if-none-match'),
    releasePageConfigFromSettings(currentApp().settings),
  );
}

app.http('release-assets', {
  route: 'release/assets/{file}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: serveReleaseAsset,
});

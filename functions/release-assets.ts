import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

/** `GET /api/release/assets/{file}`: the release page's script and style sheet. */
export async function serveReleaseAsset(request: HttpRequest): Promise<HttpResponseInit> {
  const { releaseAsset } = await import('../src/release/release-page');
  const { releasePageConfigFromSettings } = await import('../src/release/release-page-settings');
  return releaseAsset(request.params.file, request.headers.get('if-none-match'), releasePageConfigFromSettings());
}

app.http('release-assets', {
  route: 'release/assets/{file}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: serveReleaseAsset,
});

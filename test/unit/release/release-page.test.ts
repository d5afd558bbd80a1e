import { releaseAsset, releasePage, releasePageConfig } from '../../../src/release/release-page';

const config = releasePageConfig({
  authorityHost: 'https://login.microsoftonline.com/',
  tenantId: '00000000-0000-4000-8000-000000000001',
  clientId: '11111111-0000-4000-8000-000000000002',
});

describe('the release page as served', () => {
  it('fills in the sign-in settings: authority, client id, and the default scope', () => {
    expect(config).toEqual({
      authority: 'https://login.microsoftonline.com/00000000-0000-4000-8000-000000000001',
      clientId: '11111111-0000-4000-8000-000000000002',
      scope: '11111111-0000-4000-8000-000000000002/Release.Use',
      pinMinLength: 6,
      pinMaxLength: 12,
    });
    const page = releasePage(config);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`data-authority="${config.authority}"`);
    expect(page.body).toContain(`data-scope="${config.scope}"`);
    expect(page.body).not.toMatch(/\{\{\w+\}\}/);
  });

  it("gives the PIN form the server's length limits, the minimum from the settings", () => {
    const pinInput = (body: string) => (/<input[^>]*id="pin"[^>]*>/.exec(body)?.[0] ?? '').replace(/\s+/g, ' ');
    expect(pinInput(releasePage(config).body!)).toMatch(/pattern="\\d\+" minlength="6" maxlength="12"/);
    const eight = releasePageConfig({
      authorityHost: 'https://login.microsoftonline.com',
      tenantId: 't',
      clientId: 'c',
      pinMinLength: 8,
    });
    const page = releasePage(eight).body!;
    expect(pinInput(page)).toContain('minlength="8" maxlength="12"');
    expect(page).toContain('New PIN (8 to 12 digits;');
    expect(page).not.toMatch(/\{\{\w+\}\}/);
  });

  it('escapes settings so they cannot inject markup', () => {
    const page = releasePage({ ...config, scope: '"><script>alert(1)</script>' });
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('&quot;&gt;&lt;script&gt;');
  });

  it('sends a strict content security policy: own scripts only, calls only to itself and the authority', () => {
    const { headers } = releasePage(config);
    const csp = headers!['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' https://login.microsoftonline.com");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(headers!['referrer-policy']).toBe('no-referrer');
    expect(headers!['x-content-type-options']).toBe('nosniff');
  });

  it('serves only its own script and style sheet, revalidated by ETag', () => {
    const script = releaseAsset('release.js', null, config);
    expect(script.status).toBe(200);
    expect(script.headers!['content-type']).toMatch(/^text\/javascript/);
    expect(releaseAsset('release.js', script.headers!.etag!, config).status).toBe(304);
    expect(releaseAsset('release.css', null, config).headers!['content-type']).toMatch(/^text\/css/);
    for (const other of ['index.html', '../../package.json', '..%2F..%2Fpackage.json', undefined])
      expect(releaseAsset(other, null, config).status).toBe(404);
  });

  it('stays light: the page, script and styles together are well under 30 kB', () => {
    const bytes = [
      releasePage(config),
      releaseAsset('release.js', null, config),
      releaseAsset('release.css', null, config),
    ]
      .map((r) => Buffer.byteLength(r.body!))
      .reduce((a, b) => a + b, 0);
    expect(bytes).toBeLessThan(30 * 1024);
  });
});

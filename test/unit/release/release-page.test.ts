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

  it("explains the PIN rules before typing, with the server's length limits; leaves judging to the server", () => {
    const pinInput = (body: string) => (/<input[^>]*id="pin"[^>]*>/.exec(body)?.[0] ?? '').replace(/\s+/g, ' ');
    const eight = releasePageConfig({
      authorityHost: 'https://login.microsoftonline.com',
      tenantId: 't',
      clientId: 'c',
      pinMinLength: 8,
    });
    const page = releasePage(eight).body!;
    const input = pinInput(page);
    expect(input).toContain('maxlength="12"');
    expect(input).toContain('aria-describedby="pin-rules pin-error"');
    // No pattern or minlength: the browser's generic message would stand in for the server's reason.
    expect(input).not.toMatch(/pattern=|minlength=|required/);
    expect(/<form id="pin-form" novalidate>/.test(page)).toBe(true);
    const rules = /<p id="pin-rules"[^>]*>([^<]*)<\/p>/.exec(page)![1]!.replace(/\s+/g, ' ').trim();
    expect(rules).toMatch(/^8 to 12 digits\. Not one digit repeated \(111111\), not a run/);
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

  it('stays light: everything the page loads (HTML, CSS, JS) is at most 50 kB uncompressed', () => {
    const html = releasePage(config).body!;
    // Every asset the page refers to, served as the browser would fetch it; nothing from elsewhere.
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(references.every((ref) => ref.startsWith('release/assets/'))).toBe(true);
    const assets = references.map((ref) => releaseAsset(ref.slice('release/assets/'.length), null, config));
    expect(assets.map((a) => a.status)).toEqual(references.map(() => 200));
    expect(references.sort()).toEqual(['release/assets/release.css', 'release/assets/release.js']);
    const bytes = [html, ...assets.map((a) => a.body!)].map((b) => Buffer.byteLength(b)).reduce((a, b) => a + b, 0);
    expect(bytes).toBeLessThanOrEqual(50 * 1024);
  });
});

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { APP_ROOT } from '../app-root';
import { escapeHtml } from '../http/escape-html';
import type { HttpResponseLike } from '../http/http-types';
import { DEFAULT_MIN_PIN_LENGTH, MAX_PIN_LENGTH } from './pin-policy';

/** What the page needs to sign the user in: public values, written into the page's data attributes. */
export interface ReleasePageConfig {
  /** `<authority host>/<tenant id>`, e.g. https://login.microsoftonline.com/<tenant>. */
  authority: string;
  clientId: string;
  /** The API scope the page asks for, e.g. `<client id>/Release.Use`. */
  scope: string;
  /** The PIN form's length limits (pin-policy.ts; the minimum is a setting); the other rules are the server's. */
  pinMinLength: number;
  pinMaxLength: number;
}

const WEB_ROOT = path.join(APP_ROOT, 'web', 'release');
const ASSETS: Record<string, string> = {
  'release.js': 'text/javascript; charset=utf-8',
  'release.css': 'text/css; charset=utf-8',
};

interface Asset {
  body: string;
  etag: string;
}
const cache = new Map<string, Asset>();

/** Files are read once per process: they only change with a deployment. */
function load(file: string): Asset {
  let asset = cache.get(file);
  if (!asset) {
    const body = readFileSync(path.join(WEB_ROOT, file), 'utf8');
    asset = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    cache.set(file, asset);
  }
  return asset;
}

/**
 * Security headers for every answer: scripts and styles only from this site, network calls only to
 * this site and the sign-in authority, never framed (no click-jacking at the printer), and no
 * referrer (the sign-in code is in the address for a moment).
 */
function securityHeaders(config: ReleasePageConfig): Record<string, string> {
  const authority = new URL(config.authority).origin;
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src 'self' ${authority}`,
      "form-action 'none'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/** GET /api/release: the page, with the sign-in settings filled in. */
export function releasePage(config: ReleasePageConfig): HttpResponseLike {
  const html = load('index.html').body.replace(
    /\{\{(authority|clientId|scope|pinMinLength|pinMaxLength)\}\}/g,
    (_, key: keyof ReleasePageConfig) => escapeHtml(String(config[key])),
  );
  return {
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...securityHeaders(config) },
    body: html,
  };
}

/** GET /api/release/assets/{file}: the page's script and style sheet (only those), revalidated by ETag. */
export function releaseAsset(
  file: string | undefined,
  ifNoneMatch: string | null,
  config: ReleasePageConfig,
): HttpResponseLike {
  const contentType = file ? ASSETS[file] : undefined;
  if (!file || !contentType) return { status: 404, body: 'Not found' };
  const asset = load(file);
  const headers = { 'cache-control': 'no-cache', etag: asset.etag, ...securityHeaders(config) };
  if (ifNoneMatch === asset.etag) return { status: 304, headers };
  return { status: 200, headers: { ...headers, 'content-type': contentType }, body: asset.body };
}

/** The page's sign-in settings and PIN limits from the app's settings. */
export function releasePageConfig(settings: {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  scope?: string;
  pinMinLength?: number;
}): ReleasePageConfig {
  return {
    authority: `${settings.authorityHost.replace(/\/+$/, '')}/${settings.tenantId}`,
    clientId: settings.clientId,
    scope: settings.scope ?? `${settings.clientId}/Release.Use`,
    pinMinLength: settings.pinMinLength ?? DEFAULT_MIN_PIN_LENGTH,
    pinMaxLength: MAX_PIN_LENGTH,
  };
}

import { createHash } from 'node:crypto';

/**
 * The URL Graph is subscribed to: our endpoint, the function key (`code`, which Graph repeats on
 * every delivery) and a fingerprint of the clientState (`cs`). The fingerprint lets the keeper see,
 * without storing anything, that a subscription still uses an old clientState after a rotation.
 * It is 8 hex digits of a SHA-256: it identifies a version, it cannot reveal the secret.
 */
export function clientStateFingerprint(clientState: string): string {
  return createHash('sha256').update(clientState, 'utf8').digest('hex').slice(0, 8);
}

export function subscribedUrl(endpoint: string, clientState: string, functionKey?: string): string {
  const url = new URL(endpoint);
  if (functionKey) url.searchParams.set('code', functionKey);
  url.searchParams.set('cs', clientStateFingerprint(clientState));
  return url.toString();
}

/** Same endpoint: scheme, host, port and path, whatever the query string says. */
export function sameEndpoint(a: string, b: string): boolean {
  try {
    const [x, y] = [new URL(a), new URL(b)];
    return (
      x.origin.toLowerCase() === y.origin.toLowerCase() &&
      x.pathname.replace(/\/$/, '') === y.pathname.replace(/\/$/, '')
    );
  } catch {
    return false;
  }
}

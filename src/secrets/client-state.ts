import { createHash, timingSafeEqual } from 'node:crypto';
import type { Settings } from '../config/settings';
import type { SecretStore } from './secret-store';

/** The clientState values Graph may send: the current one and, during a rotation, the previous. */
export async function acceptedClientStates(store: SecretStore, settings: Settings): Promise<string[]> {
  const secret = await store.get(settings.RELEASE_GATE_CLIENT_STATE_SECRET_NAME);
  return secret.previous ? [secret.current, secret.previous] : [secret.current];
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * The accepted values' digests, hashed once rather than for every notification (the webhook checks
 * each one against the same one or two values). Bounded: rotations add a value now and then.
 */
const acceptedDigests = new Map<string, Buffer>();
function acceptedDigest(value: string): Buffer {
  let hashed = acceptedDigests.get(value);
  if (!hashed) {
    if (acceptedDigests.size >= 8) acceptedDigests.clear();
    hashed = digest(value);
    acceptedDigests.set(value, hashed);
  }
  return hashed;
}

/**
 * Constant-time comparison: hashing first gives equal-length buffers, so neither the content nor
 * the length of the secret leaks through timing. Every accepted value is compared, always.
 */
export function isAcceptedClientState(candidate: string | undefined, accepted: readonly string[]): boolean {
  const theirs = digest(candidate ?? '');
  let match = false;
  for (const value of accepted) match = timingSafeEqual(theirs, acceptedDigest(value)) || match;
  return candidate !== undefined && match;
}

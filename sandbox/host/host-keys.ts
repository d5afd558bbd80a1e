import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The Functions host's access keys, as a Function App has them: the master key (`_master`), host keys
 * (named; `default` always exists) that open every function, and per-function keys (named; `default`
 * for each function). Values are random per host unless given (the sandbox gives the one Graph sends).
 */
export interface HostKeys {
  master: string;
  /** Host keys by name: `default`, plus any added (the deployment adds `graph-notifications`). */
  host: Record<string, string>;
  /** Function keys by function name, then key name (`default`). */
  functions: Record<string, Record<string, string>>;
}

export interface HostKeysInput {
  master?: string;
  host?: Record<string, string>;
  functions?: Record<string, Record<string, string>>;
}

/** The host key Graph sends (`?code=`), named as the deployment names it (infra/modules/resources.bicep). */
export const GRAPH_HOST_KEY_NAME = 'graph-notifications';

/** A key like the ones the platform generates: URL-safe, long enough not to be guessed. */
export const newKeyValue = (): string => randomBytes(40).toString('base64url');

export function createHostKeys(functionNames: string[], given: HostKeysInput = {}): HostKeys {
  const functions: Record<string, Record<string, string>> = {};
  for (const name of functionNames) functions[name] = { default: newKeyValue(), ...given.functions?.[name] };
  return {
    master: given.master ?? newKeyValue(),
    host: { default: newKeyValue(), ...given.host },
    functions,
  };
}

export type AuthLevel = 'anonymous' | 'function' | 'admin';

/** The key a caller presented: the `x-functions-key` header first, else `?code=`, as the host reads them. */
export function presentedKey(headers: Record<string, string | string[] | undefined>, url: URL): string | undefined {
  const header = headers['x-functions-key'];
  const value = Array.isArray(header) ? header[0] : header;
  return value || url.searchParams.get('code') || undefined;
}

const same = (a: string, b: string) => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The host's authorization levels: `anonymous` is open; `function` takes one of that function's keys,
 * a host key or the master key; `admin` takes the master key only. Unknown levels are refused.
 */
export function isAuthorized(level: string, functionName: string, key: string | undefined, keys: HostKeys): boolean {
  if (level === 'anonymous') return true;
  if (!key) return false;
  if (same(key, keys.master)) return true;
  if (level !== 'function') return false;
  const accepted = [...Object.values(keys.host), ...Object.values(keys.functions[functionName] ?? {})];
  return accepted.some((value) => same(key, value));
}

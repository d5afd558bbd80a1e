import type { Settings } from '../config/settings';
import type { SecretStore } from '../secrets/secret-store';
import { errorText } from '../observability/log';

/** 127.0.0.1, localhost or [::1]: the sandbox and Core Tools, never a URL Graph could reach. */
export function isLoopbackUrl(value: string): boolean {
  try {
    const { hostname } = new URL(value);
    return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  } catch {
    return false;
  }
}

/** The function key Graph must send (`?code=`) is unknown: no subscription may be made without it. */
export class FunctionKeyMissingError extends Error {
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`The function key for Graph is missing: ${reason}. Fix: ${fix}`);
    this.name = 'FunctionKeyMissingError';
  }
}

/**
 * The key both subscription URLs carry. In Azure the functions are `authLevel: 'function'`, so a URL
 * without it gets 401 from the platform and Graph refuses to create the subscription. Returns
 * undefined only where no key is needed: secrets from settings and URLs on loopback (Core Tools,
 * which does not check keys). Anything else without a key throws {@link FunctionKeyMissingError}.
 */
export async function resolveFunctionKey(config: Settings, secrets: SecretStore): Promise<string | undefined> {
  const name = config.RELEASE_GATE_FUNCTION_KEY_SECRET_NAME;
  if (config.RELEASE_GATE_SECRET_SOURCE === 'keyvault') {
    let value: string | undefined;
    try {
      value = (await secrets.get(name)).current.trim();
    } catch (error) {
      throw new FunctionKeyMissingError(
        `Key Vault secret ${name} could not be read (${errorText(error)})`,
        `create the secret ${name} with the value of the Function App's host key graph-notifications ` +
          "(azd provision does both), and give the app's identity the Key Vault Secrets User role",
      );
    }
    if (!value)
      throw new FunctionKeyMissingError(
        `Key Vault secret ${name} is empty`,
        `set ${name} to the value of the Function App's host key graph-notifications (azd provision does)`,
      );
    return value;
  }
  const key = config.RELEASE_GATE_FUNCTION_KEY;
  if (key) return key;
  const urls = [config.RELEASE_GATE_NOTIFICATION_URL, config.RELEASE_GATE_LIFECYCLE_URL].filter(
    (u): u is string => !!u,
  );
  if (urls.every(isLoopbackUrl)) return undefined;
  throw new FunctionKeyMissingError(
    'RELEASE_GATE_FUNCTION_KEY is not set, and the subscription URLs are not on loopback',
    'set RELEASE_GATE_FUNCTION_KEY to a function or host key of the app (or use RELEASE_GATE_SECRET_SOURCE=keyvault)',
  );
}

/**
 * The start-up check: says at once, as an error with its fix, that the subscription keeper will
 * refuse to subscribe for want of a function key (rather than only when the timer first runs).
 */
export async function reportFunctionKeyProblem(
  config: Settings,
  secrets: SecretStore,
  log: { error(event: string, fields?: Record<string, unknown>): void },
): Promise<boolean> {
  if (!config.RELEASE_GATE_NOTIFICATION_URL) return false;
  try {
    await resolveFunctionKey(config, secrets);
    return false;
  } catch (error) {
    if (!(error instanceof FunctionKeyMissingError)) throw error;
    log.error('startup.function-key-missing', { reason: error.reason, fix: error.fix });
    return true;
  }
}

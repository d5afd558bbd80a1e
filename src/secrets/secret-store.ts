import type { TokenCredential } from '@azure/core-auth';
import type { SecretClientOptions } from '@azure/keyvault-secrets';

/** A secret and, during a rotation, the value it replaced (still accepted for a while). */
export interface RotatingSecret {
  current: string;
  previous?: string;
}

export interface SecretStore {
  get(name: string): Promise<RotatingSecret>;
}

export interface KeyVaultSecretStoreOptions {
  vaultUrl: string;
  credential: TokenCredential;
  /** How long a value is served from memory before Key Vault is asked again. */
  cacheSeconds: number;
  /** Transport options for the SDK (tests use them to trust a local stand-in's certificate). */
  clientOptions?: SecretClientOptions;
  now?: () => number;
  /** Told when a refresh fails and the last known value is served instead. */
  onStale?: (name: string, error: unknown) => void;
}

/**
 * Secrets from Azure Key Vault, read with the app's managed identity.
 *
 * The previous value is the newest enabled *older version* of the same secret: rotating the
 * clientState is just adding a version, and notifications signed with the old one keep passing
 * until the subscription has moved over. If Key Vault cannot be reached once the cache expires,
 * the last value is served (and reported) rather than failing every request.
 */
export function keyVaultSecretStore(options: KeyVaultSecretStoreOptions): SecretStore {
  const now = options.now ?? Date.now;
  const ttlMs = options.cacheSeconds * 1000;
  const cache = new Map<string, { value: RotatingSecret; expiresAt: number }>();
  const inFlight = new Map<string, Promise<RotatingSecret>>();
  let client: Promise<import('@azure/keyvault-secrets').SecretClient> | undefined;

  const getClient = () =>
    (client ??= import('@azure/keyvault-secrets').then(
      ({ SecretClient }) => new SecretClient(options.vaultUrl, options.credential, options.clientOptions),
    ));

  async function read(name: string): Promise<RotatingSecret> {
    const secrets = await getClient();
    const latest = await secrets.getSecret(name);
    if (latest.value === undefined) throw new Error(`Key Vault secret ${name} has no value`);
    let newestOlder: { version: string; createdOn: number } | undefined;
    for await (const version of secrets.listPropertiesOfSecretVersions(name)) {
      if (!version.version || version.version === latest.properties.version || version.enabled === false) continue;
      const createdOn = version.createdOn?.getTime() ?? 0;
      if (!newestOlder || createdOn > newestOlder.createdOn) newestOlder = { version: version.version, createdOn };
    }
    const previous = newestOlder ? (await secrets.getSecret(name, { version: newestOlder.version })).value : undefined;
    return previous === undefined ? { current: latest.value } : { current: latest.value, previous };
  }

  async function refresh(name: string): Promise<RotatingSecret> {
    try {
      const value = await read(name);
      cache.set(name, { value, expiresAt: now() + ttlMs });
      return value;
    } catch (error) {
      const stale = cache.get(name);
      if (!stale) throw error;
      options.onStale?.(name, error);
      return stale.value;
    }
  }

  return {
    async get(name) {
      const hit = cache.get(name);
      if (hit && hit.expiresAt > now()) return hit.value;
      // Concurrent requests on a cold instance share one round trip to Key Vault.
      let pending = inFlight.get(name);
      if (!pending) {
        pending = refresh(name).finally(() => inFlight.delete(name));
        inFlight.set(name, pending);
      }
      return pending;
    },
  };
}

/** Secrets taken from app settings: for local runs and the sandbox only. */
export function settingsSecretStore(values: Record<string, RotatingSecret | undefined>): SecretStore {
  return {
    async get(name) {
      const value = values[name];
      if (!value) throw new Error(`Secret ${name} is not configured in settings`);
      return value;
    },
  };
}

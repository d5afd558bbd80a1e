import { parseSettings } from '../../src/config/load-settings';
import { acceptedClientStates } from '../../src/secrets/client-state';
import { keyVaultSecretStore } from '../../src/secrets/secret-store';
import { secretStoreFromSettings } from '../../src/app/secret-store-from-settings';
import { managedIdentityCredential } from '../../src/identity/managed-identity';
import {
  keyVaultStandInClientOptions as standIn,
  startKeyVaultStandIn,
  type KeyVaultStandIn,
} from '../../sandbox/key-vault-stand-in';
import { APP_CLIENT_ID, TASK_DEFINITION_ID, TENANT_ID } from '../support/notification-fixtures';

/**
 * The Key Vault path with the real SDKs over real HTTPS: ManagedIdentityCredential gets a token
 * from a local App Service identity endpoint, SecretClient meets Key Vault's 401 challenge first.
 */
describe('secrets from Key Vault through the managed identity', () => {
  let kv: KeyVaultStandIn;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    kv = await startKeyVaultStandIn();
    Object.assign(process.env, kv.identityEnvironment);
  });
  afterAll(async () => {
    process.env = savedEnv;
    await kv?.stop();
  });

  it('reads the clientState as the webhook does, after the 401 challenge', async () => {
    kv.setSecret('graph-client-state', 'first-client-state');
    const settings = parseSettings({
      RELEASE_GATE_TENANT_ID: TENANT_ID,
      RELEASE_GATE_TASK_DEFINITION_ID: TASK_DEFINITION_ID,
      RELEASE_GATE_KEY_VAULT_URI: kv.vaultUrl,
      RELEASE_GATE_APP_CLIENT_ID: APP_CLIENT_ID,
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    });
    const store = secretStoreFromSettings(settings, undefined, standIn);
    expect(await acceptedClientStates(store, settings)).toEqual(['first-client-state']);
    expect(kv.stats.challenges).toBeGreaterThanOrEqual(1);
    expect(kv.stats.tokenRequests).toBeGreaterThanOrEqual(1);
  });

  it('accepts current and previous after a rotation, once the cache expires, without a restart', async () => {
    let now = 1_000_000;
    const store = keyVaultSecretStore({
      vaultUrl: kv.vaultUrl,
      credential: managedIdentityCredential(),
      cacheSeconds: 60,
      now: () => now,
      clientOptions: standIn,
    });
    kv.setSecret('rotating', 'v1');
    expect(await store.get('rotating')).toEqual({ current: 'v1' });

    kv.setSecret('rotating', 'v2');
    const readsBefore = kv.stats.secretReads;
    expect(await store.get('rotating')).toEqual({ current: 'v1' }); // still cached
    expect(kv.stats.secretReads).toBe(readsBefore);

    now += 61_000;
    expect(await store.get('rotating')).toEqual({ current: 'v2', previous: 'v1' });

    const v3 = kv.setSecret('rotating', 'v3');
    now += 61_000;
    expect(await store.get('rotating')).toEqual({ current: 'v3', previous: 'v2' });

    // An admin disables the newest version (rollback): the store follows.
    kv.disableVersion('rotating', v3);
    now += 61_000;
    expect(await store.get('rotating')).toEqual({ current: 'v2', previous: 'v1' });
  });

  it('shares one Key Vault round trip between concurrent cold requests', async () => {
    kv.setSecret('concurrent', 'value');
    const store = keyVaultSecretStore({
      vaultUrl: kv.vaultUrl,
      credential: managedIdentityCredential(),
      cacheSeconds: 60,
      clientOptions: standIn,
    });
    const before = kv.stats.secretReads;
    const results = await Promise.all(Array.from({ length: 10 }, () => store.get('concurrent')));
    expect(results.every((r) => r.current === 'value')).toBe(true);
    expect(kv.stats.secretReads - before).toBe(1);
  });

  it('fails clearly for a missing secret, and serves the last value when Key Vault is unreachable', async () => {
    const missing = keyVaultSecretStore({
      vaultUrl: kv.vaultUrl,
      credential: managedIdentityCredential(),
      cacheSeconds: 0,
      clientOptions: standIn,
    });
    await expect(missing.get('no-such-secret')).rejects.toThrow(/not found/i);

    let now = 0;
    const stale: string[] = [];
    kv.setSecret('outage', 'kept');
    const store = keyVaultSecretStore({
      vaultUrl: kv.vaultUrl,
      credential: managedIdentityCredential(),
      cacheSeconds: 1,
      now: () => now,
      onStale: (name) => stale.push(name),
      clientOptions: { ...standIn, retryOptions: { maxRetries: 0 } },
    });
    expect((await store.get('outage')).current).toBe('kept');
    const unreachable = keyVaultSecretStore({
      vaultUrl: 'https://127.0.0.1:9',
      credential: managedIdentityCredential(),
      cacheSeconds: 1,
      clientOptions: { ...standIn, retryOptions: { maxRetries: 0 } },
    });
    await expect(unreachable.get('outage')).rejects.toThrow();

    await kv.stop();
    now += 5_000;
    expect((await store.get('outage')).current).toBe('kept');
    expect(stale).toEqual(['outage']);
  });
});

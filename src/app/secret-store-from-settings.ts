import type { Settings } from '../config/settings';
import { managedIdentityCredential } from '../identity/managed-identity';
import type { SecretClientOptions } from '@azure/keyvault-secrets';
import { keyVaultSecretStore, settingsSecretStore, type SecretStore } from '../secrets/secret-store';

/** The secret store the settings ask for: Key Vault in Azure, app settings for local runs. */
export function secretStoreFromSettings(
  settings: Settings,
  onStale?: (name: string, error: unknown) => void,
  keyVaultClientOptions?: SecretClientOptions,
): SecretStore {
  if (settings.RELEASE_GATE_SECRET_SOURCE === 'settings') {
    const clientState = settings.RELEASE_GATE_CLIENT_STATE;
    return settingsSecretStore({
      [settings.RELEASE_GATE_CLIENT_STATE_SECRET_NAME]: clientState
        ? { current: clientState, previous: settings.RELEASE_GATE_CLIENT_STATE_PREVIOUS }
        : undefined,
    });
  }
  if (!settings.RELEASE_GATE_KEY_VAULT_URI) throw new Error('RELEASE_GATE_KEY_VAULT_URI is not set');
  return keyVaultSecretStore({
    vaultUrl: settings.RELEASE_GATE_KEY_VAULT_URI,
    credential: managedIdentityCredential(settings.RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID),
    cacheSeconds: settings.RELEASE_GATE_SECRET_CACHE_SECONDS,
    onStale,
    clientOptions: keyVaultClientOptions,
  });
}

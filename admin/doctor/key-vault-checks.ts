import type { TokenCredential } from '@azure/core-auth';
import type { SecretClientOptions } from '@azure/keyvault-secrets';
import { keyVaultSecretStore } from '../../src/secrets/secret-store';
import { fail, ok, warn, type DoctorCheck } from './report';
import { errorText } from '../../src/observability/log';

export interface ExpectedSecret {
  name: string;
  /** What the app uses it for, and how to put it back. */
  why: string;
  restore: string;
  /** An empty value is allowed but worth a warning (the function key: none means the webhook has no key). */
  emptyWarning?: string;
}

/**
 * Each secret the app reads is in Key Vault, enabled and not empty. Read with the admin's Azure
 * credential through the app's own secret store code; values are never shown or kept.
 */
export async function keyVaultChecks(options: {
  vaultUrl?: string;
  secrets: ExpectedSecret[];
  credential: TokenCredential;
  clientOptions?: SecretClientOptions;
}): Promise<DoctorCheck[]> {
  if (!options.vaultUrl)
    return [
      fail(
        'Key Vault',
        'RELEASE_GATE_KEY_VAULT_URI is not set, so no secret could be checked',
        'eval "$(azd env get-values)" (azd up writes it), or pass --key-vault-uri',
      ),
    ];
  // kv-name.vault.azure.net is the vault kv-name; anything else (the sandbox's stand-in) by its address.
  const { host, hostname } = new URL(options.vaultUrl);
  const vault = /\.vault(core)?\./i.test(hostname) ? hostname.split('.')[0]! : host;
  const store = keyVaultSecretStore({
    vaultUrl: options.vaultUrl,
    credential: options.credential,
    cacheSeconds: 0,
    clientOptions: options.clientOptions,
  });
  const checks: DoctorCheck[] = [];
  const realVault = /\.vault(core)?\./i.test(hostname);
  for (const expected of options.secrets) {
    // The fix names the vault when it is a real one (kv-name.vault.azure.net).
    const secret = realVault ? { ...expected, restore: expected.restore.replace('<vault>', vault) } : expected;
    const name = `Secret ${secret.name}`;
    try {
      const value = await store.get(secret.name);
      if (!value.current.trim() && secret.emptyWarning)
        checks.push(warn(name, `present but empty: ${secret.emptyWarning}`, secret.restore));
      else checks.push(ok(name, `present in ${vault}: ${secret.why}`));
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      const message = errorText(error).split('\n')[0]!;
      if (status === 404 || /has no value/.test(message))
        checks.push(fail(name, `missing from ${vault}: ${secret.why}`, secret.restore));
      else if (status === 403 && /disabled/i.test(message))
        checks.push(
          fail(
            name,
            `its newest version is disabled in ${vault}`,
            `enable it, or add a new version: ${secret.restore}`,
          ),
        );
      else if (status === 401 || status === 403)
        checks.push(
          fail(
            name,
            `you may not read secrets in ${vault} (${status})`,
            `az role assignment create --role "Key Vault Secrets User" --assignee <your user> --scope <vault resource id> (Azure portal → ${vault} → Access control (IAM))`,
          ),
        );
      else if (
        /CredentialUnavailable|AuthenticationError|AggregateAuthentication/.test(`${(error as Error).name} ${message}`)
      )
        checks.push(
          fail(
            name,
            `not checked: you are not signed in to Azure (${message})`,
            'azd auth login (or az login), then run the doctor again',
          ),
        );
      else
        checks.push(
          fail(
            name,
            `could not read ${vault}: ${message}`,
            'check the vault URI and your network, then run the doctor again',
          ),
        );
    }
  }
  return checks;
}

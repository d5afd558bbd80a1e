import { parseSettings } from '../../src/config/load-settings';
import { secretStoreFromSettings } from '../../src/app/secret-store-from-settings';
import { FunctionKeyMissingError, resolveFunctionKey } from '../../src/upkeep/function-key';
import {
  keyVaultStandInClientOptions as standIn,
  startKeyVaultStandIn,
  type KeyVaultStandIn,
} from '../../sandbox/key-vault-stand-in';
import { APP_CLIENT_ID, TASK_DEFINITION_ID, TENANT_ID } from '../support/notification-fixtures';

/**
 * The function key from Key Vault, over the real SDK and the stand-in: a missing secret (404 from
 * the vault) is the loud FunctionKeyMissingError, never a silent "no key" (which once let the keeper
 * subscribe a keyless lifecycle URL that Azure answers with 401).
 */
describe('the function key Graph must send, read from Key Vault', () => {
  let kv: KeyVaultStandIn;
  const savedEnv = { ...process.env };
  const settings = () =>
    parseSettings({
      RELEASE_GATE_TENANT_ID: TENANT_ID,
      RELEASE_GATE_TASK_DEFINITION_ID: TASK_DEFINITION_ID,
      RELEASE_GATE_KEY_VAULT_URI: kv.vaultUrl,
      RELEASE_GATE_APP_CLIENT_ID: APP_CLIENT_ID,
      RELEASE_GATE_NOTIFICATION_URL: 'https://func.example.net/api/notifications',
      RELEASE_GATE_LIFECYCLE_URL: 'https://func.example.net/api/lifecycle',
      RELEASE_GATE_SECRET_CACHE_SECONDS: '0',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    });

  beforeAll(async () => {
    kv = await startKeyVaultStandIn();
    Object.assign(process.env, kv.identityEnvironment);
  });
  afterAll(async () => {
    process.env = savedEnv;
    await kv?.stop();
  });

  it('is a FunctionKeyMissingError while the secret does not exist, and the value once it does', async () => {
    const config = settings();
    const store = secretStoreFromSettings(config, undefined, standIn);
    const missing = await resolveFunctionKey(config, store).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(FunctionKeyMissingError);
    expect((missing as FunctionKeyMissingError).reason).toMatch(/notification-function-key could not be read/);
    kv.setSecret('notification-function-key', 'the-host-key-value');
    expect(await resolveFunctionKey(config, store)).toBe('the-host-key-value');
  });
});

import { parseSettings } from '../../../src/config/load-settings';
import type { SecretStore } from '../../../src/secrets/secret-store';
import {
  FunctionKeyMissingError,
  isLoopbackUrl,
  reportFunctionKeyProblem,
  resolveFunctionKey,
} from '../../../src/upkeep/function-key';

const base = {
  RELEASE_GATE_TENANT_ID: '6a0f3c2e-1b4d-4e8f-9a7b-2c3d4e5f6a7b',
  RELEASE_GATE_APP_CLIENT_ID: '6a0f3c2e-1b4d-4e8f-9a7b-2c3d4e5f6a7b',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  RELEASE_GATE_NOTIFICATION_URL: 'https://func.example.net/api/notifications',
  RELEASE_GATE_LIFECYCLE_URL: 'https://func.example.net/api/lifecycle',
};
const keyVault = parseSettings({ ...base, RELEASE_GATE_KEY_VAULT_URI: 'https://kv.vault.azure.net/' });
const fromSettings = (extra: Record<string, string>) =>
  parseSettings({ ...base, RELEASE_GATE_SECRET_SOURCE: 'settings', RELEASE_GATE_CLIENT_STATE: 'cs', ...extra });
const store = (values: Record<string, string>): SecretStore => ({
  async get(name) {
    if (!(name in values)) throw new Error(`A secret with (name/id) ${name} was not found in this key vault.`);
    return { current: values[name]! };
  },
});

describe('the function key Graph must send', () => {
  it('comes from the Key Vault secret the setting names (notification-function-key by default)', async () => {
    expect(keyVault.RELEASE_GATE_FUNCTION_KEY_SECRET_NAME).toBe('notification-function-key');
    expect(await resolveFunctionKey(keyVault, store({ 'notification-function-key': 'kv-key' }))).toBe('kv-key');
  });

  it('is a loud error with a fix when the secret is absent, unreadable or empty: never silently no key', async () => {
    await expect(resolveFunctionKey(keyVault, store({}))).rejects.toThrow(
      /notification-function-key could not be read .*Fix: create the secret notification-function-key/,
    );
    await expect(resolveFunctionKey(keyVault, store({ 'notification-function-key': ' ' }))).rejects.toBeInstanceOf(
      FunctionKeyMissingError,
    );
  });

  it('in settings mode: RELEASE_GATE_FUNCTION_KEY, required unless both URLs are on loopback', async () => {
    expect(await resolveFunctionKey(fromSettings({ RELEASE_GATE_FUNCTION_KEY: 'k' }), store({}))).toBe('k');
    await expect(resolveFunctionKey(fromSettings({}), store({}))).rejects.toThrow(
      /RELEASE_GATE_FUNCTION_KEY is not set/,
    );
    const loopback = fromSettings({
      RELEASE_GATE_NOTIFICATION_URL: 'http://127.0.0.1:7071/api/notifications',
      RELEASE_GATE_LIFECYCLE_URL: 'http://[::1]:7071/api/lifecycle',
    });
    expect(await resolveFunctionKey(loopback, store({}))).toBeUndefined();
  });

  it('is reported at start-up as an error event', async () => {
    const errors: [string, Record<string, unknown> | undefined][] = [];
    const log = { error: (event: string, fields?: Record<string, unknown>) => errors.push([event, fields]) };
    expect(await reportFunctionKeyProblem(keyVault, store({}), log)).toBe(true);
    expect(errors).toEqual([
      [
        'startup.function-key-missing',
        { reason: expect.stringContaining('could not be read'), fix: expect.any(String) },
      ],
    ]);
    expect(await reportFunctionKeyProblem(keyVault, store({ 'notification-function-key': 'k' }), log)).toBe(false);
  });

  it('knows loopback addresses', () => {
    for (const url of ['http://127.0.0.1:1/x', 'http://localhost/x', 'http://[::1]:7071/x'])
      expect(isLoopbackUrl(url)).toBe(true);
    for (const url of ['https://func.example.net/x', 'http://127.0.0.2.example.net/x', 'not a url'])
      expect(isLoopbackUrl(url)).toBe(false);
  });
});

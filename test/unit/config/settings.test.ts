import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSettings, SettingsError } from '../../../src/config/load-settings';
import { describeSettings, SECRET_SETTINGS, settingDefault, settingNames } from '../../../src/config/settings';
import { withSettingsTable } from '../../../scripts/settings-table';

const root = path.resolve(__dirname, '../../..');
const minimal = {
  RELEASE_GATE_TENANT_ID: '9a4c2f1e-7b3d-4e8a-b6c5-0d1e2f3a4b5c',
  RELEASE_GATE_TASK_DEFINITION_ID: '3203656e-6069-4e10-8147-d25290b00a3c',
  RELEASE_GATE_KEY_VAULT_URI: 'https://kv-release-gate.vault.azure.net/',
  RELEASE_GATE_APP_CLIENT_ID: '5c1d8a2b-4e6f-4a7b-9c8d-1e2f3a4b5c6d',
  AzureWebJobsStorage__queueServiceUri: 'https://st.queue.core.windows.net',
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    parseSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).problems;
  }
  throw new Error('expected a SettingsError');
}

describe('settings', () => {
  it('applies defaults to a minimal Azure configuration', () => {
    expect(parseSettings(minimal)).toMatchObject({
      RELEASE_GATE_TASK_QUEUE: 'print-tasks',
      RELEASE_GATE_SECRET_SOURCE: 'keyvault',
      RELEASE_GATE_CLIENT_STATE_SECRET_NAME: 'graph-client-state',
      RELEASE_GATE_SECRET_CACHE_SECONDS: 300,
      RELEASE_GATE_MAX_NOTIFICATIONS_PER_REQUEST: 1000,
    });
  });

  it('lists every missing setting in one error', () => {
    const error = (() => {
      try {
        parseSettings({});
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/^Release Gate cannot start: 4 setting problem/);
    expect(problems({})).toEqual([
      'RELEASE_GATE_TENANT_ID is required',
      'RELEASE_GATE_APP_CLIENT_ID is required',
      'RELEASE_GATE_KEY_VAULT_URI is required when RELEASE_GATE_SECRET_SOURCE is keyvault',
      'AzureWebJobsStorage or AzureWebJobsStorage__queueServiceUri is required (where the task queue lives)',
    ]);
  });

  it('names an unresolved Key Vault reference as such, once', () => {
    const found = problems({
      ...minimal,
      RELEASE_GATE_KEY_VAULT_URI: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)',
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^RELEASE_GATE_KEY_VAULT_URI is an unresolved Key Vault reference/);
  });

  it('rejects invalid values with the setting name', () => {
    expect(
      problems({
        ...minimal,
        RELEASE_GATE_TENANT_ID: 'contoso.onmicrosoft.com',
        RELEASE_GATE_TASK_QUEUE: 'Print_Tasks',
        RELEASE_GATE_KEY_VAULT_URI: 'http://kv.vault.azure.net',
        RELEASE_GATE_SECRET_CACHE_SECONDS: '-1',
        RELEASE_GATE_SECRET_SOURCE: 'env',
      }),
    ).toEqual([
      'RELEASE_GATE_TENANT_ID must be a GUID; "contoso.onmicrosoft.com" is not one',
      'RELEASE_GATE_TASK_QUEUE must be a valid storage queue name; "Print_Tasks" is not one',
      'RELEASE_GATE_SECRET_SOURCE must be one of keyvault, settings; "env" is not one',
      'RELEASE_GATE_KEY_VAULT_URI must be an https:// URL; "http://kv.vault.azure.net" is not one',
      'RELEASE_GATE_SECRET_CACHE_SECONDS must be a whole number of seconds from 0 to 86400; "-1" is not one',
    ]);
  });

  it('refuses the china cloud (21Vianet): Graph offers no Universal Print APIs there', () => {
    expect(problems({ ...minimal, RELEASE_GATE_CLOUD: 'china' })).toEqual([
      expect.stringMatching(/^RELEASE_GATE_CLOUD is china \(21Vianet\), where .*Universal Print APIs/),
    ]);
    for (const cloud of ['global', 'usgov', 'usgovdod'])
      expect(parseSettings({ ...minimal, RELEASE_GATE_CLOUD: cloud }).RELEASE_GATE_CLOUD).toBe(cloud);
  });

  it('wants https subscription URLs, except on loopback (the sandbox)', () => {
    for (const name of ['RELEASE_GATE_NOTIFICATION_URL', 'RELEASE_GATE_LIFECYCLE_URL']) {
      expect(problems({ ...minimal, [name]: 'http://func.example.net/api/x' })).toEqual([
        expect.stringMatching(new RegExp(`^${name} must be an https:// URL`)),
      ]);
      expect(problems({ ...minimal, [name]: 'http://127.0.0.1.example.net/api/x' })).toHaveLength(1);
      expect(problems({ ...minimal, [name]: 'ftp://localhost/api/x' })).toHaveLength(1);
      for (const ok of [
        'https://func.example.net/api/x',
        'http://127.0.0.1:7071/api/x',
        'http://localhost:7071/api/x',
        'http://[::1]:7071/api/x',
      ])
        expect(() => parseSettings({ ...minimal, [name]: ok })).not.toThrow();
    }
  });

  it('checks JSON-valued settings', () => {
    expect(problems({ ...minimal, RELEASE_GATE_RELEASE_PRINTERS: '["not-a-guid"]' })).toEqual([
      'RELEASE_GATE_RELEASE_PRINTERS must be a JSON array of printer ids; "["not-a-guid"]" is not one',
    ]);
    expect(problems({ ...minimal, RELEASE_GATE_FAIL_SAFE_PRINTERS: '{"HR *": "deny",}' })).toEqual([
      'RELEASE_GATE_FAIL_SAFE_PRINTERS is not valid JSON (line 1, column 17: Expected double-quoted property name)',
    ]);
    expect(problems({ ...minimal, RELEASE_GATE_FAIL_SAFE_PRINTERS: '{"HR *": "dney"}' })).toEqual([
      'RELEASE_GATE_FAIL_SAFE_PRINTERS "HR *": expected "release" or "deny", got "dney"',
    ]);
    expect(() =>
      parseSettings({ ...minimal, RELEASE_GATE_RELEASE_PRINTERS: '["9f8e7d6c-0000-4000-8000-000000000001"]' }),
    ).not.toThrow();
  });

  it('treats empty strings as unset, as the portal does', () => {
    expect(problems({ ...minimal, RELEASE_GATE_TENANT_ID: '  ' })).toEqual(['RELEASE_GATE_TENANT_ID is required']);
  });

  it('needs the clientState in settings when secrets come from settings', () => {
    expect(problems({ ...minimal, RELEASE_GATE_SECRET_SOURCE: 'settings' })).toEqual([
      'RELEASE_GATE_CLIENT_STATE is required when RELEASE_GATE_SECRET_SOURCE is settings',
    ]);
  });

  it('documents every setting', () => {
    for (const doc of describeSettings()) expect(doc.description.length).toBeGreaterThan(20);
  });

  it('local.settings.sample.json lists every setting and starts a valid local configuration', () => {
    const sample = JSON.parse(readFileSync(path.join(root, 'local.settings.sample.json'), 'utf8')) as {
      Values: Record<string, string>;
    };
    const appSettings = Object.keys(sample.Values).filter((name) => name !== 'FUNCTIONS_WORKER_RUNTIME');
    expect(appSettings.sort()).toEqual([...settingNames].sort());
    expect(() => parseSettings(sample.Values)).not.toThrow();
  });

  it('the README settings table is the one the schema generates (npm run docs:settings)', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(withSettingsTable(readme)).toBe(readme);
    for (const name of settingNames) expect(readme).toContain(`| \`${name}\``);
  });
});

describe('setting errors echo the bad value and name the fix, never showing a secret', () => {
  it.each<[string, string, string]>([
    [
      'a number that is not one',
      'RELEASE_GATE_POLICY_TIMEOUT_MS=abc',
      'RELEASE_GATE_POLICY_TIMEOUT_MS must be a whole number of milliseconds from 10 to 60000; "abc" is not one',
    ],
    [
      'a number out of range',
      'RELEASE_GATE_TASK_LEASE_SECONDS=3',
      'RELEASE_GATE_TASK_LEASE_SECONDS must be a whole number of seconds from 5 to 240; "3" is not one',
    ],
    [
      'a fraction',
      'RELEASE_GATE_PIN_MIN_LENGTH=6.5',
      'RELEASE_GATE_PIN_MIN_LENGTH must be a whole number of digits from 6 to 12; "6.5" is not one',
    ],
    [
      'a misspelt choice, with the nearest one',
      'RELEASE_GATE_CLOUD=globl',
      'RELEASE_GATE_CLOUD must be one of global, usgov, usgovdod, china; "globl" is not one (did you mean global?)',
    ],
    [
      'a choice with nothing near',
      'RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE=ignore',
      'RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE must be one of fail-safe, skip-rule, release, deny; "ignore" is not one',
    ],
    [
      'a single allowed value',
      'AzureWebJobsStorage__credential=msi',
      'AzureWebJobsStorage__credential must be managedidentity; it is "msi"',
    ],
    [
      'a rule across settings',
      'RELEASE_GATE_POLICY_PLUGIN_TIMEOUT_MS=3000',
      'RELEASE_GATE_POLICY_PLUGIN_TIMEOUT_MS must be below RELEASE_GATE_POLICY_TIMEOUT_MS, or the policy times out ' +
        'before the fail mode applies; it is "3000"',
    ],
    [
      "a URL's query (it may carry a function key), left out",
      'RELEASE_GATE_NOTIFICATION_URL=http://func.example.net/api/notifications?code=k3y',
      'RELEASE_GATE_NOTIFICATION_URL must be an https:// URL (Graph delivers only to https; http is allowed on ' +
        '127.0.0.1, localhost and [::1]); "http://func.example.net/api/notifications?…" is not one',
    ],
    [
      'a long value, shortened',
      `RELEASE_GATE_TENANT_ID=${'x'.repeat(100)}`,
      `RELEASE_GATE_TENANT_ID must be a GUID; "${'x'.repeat(57)}…" is not one`,
    ],
  ])('%s', (_name, assignment, expected) => {
    const [name, value] = assignment.split(/=(.*)/s) as [string, string];
    expect(problems({ ...minimal, [name]: value })).toEqual([expected]);
  });

  it('never shows the value of a secret, only what is wrong with it', () => {
    const secret = 'Zx9-very-secret-value';
    const found = problems({
      ...minimal,
      RELEASE_GATE_SECRET_SOURCE: 'settings',
      RELEASE_GATE_APP_CREDENTIAL: 'secret',
      RELEASE_GATE_CLIENT_STATE: `${secret}${'x'.repeat(200)}`,
      RELEASE_GATE_APP_SECRET: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/app/)',
      APPLICATIONINSIGHTS_CONNECTION_STRING: '@Microsoft.KeyVault(x)',
    });
    expect(found).toEqual([
      'RELEASE_GATE_CLIENT_STATE must be at most 128 characters; it has 221',
      expect.stringMatching(
        /^RELEASE_GATE_APP_SECRET is an unresolved Key Vault reference: .*\(the value is not shown: it is a secret\)$/,
      ),
      expect.stringMatching(
        /^APPLICATIONINSIGHTS_CONNECTION_STRING is an unresolved .*\(the value is not shown: it is a secret\)$/,
      ),
    ]);
    expect(found.join('\n')).not.toMatch(/very-secret|SecretUri/);
  });

  it('knows every setting whose value is a secret (the ..._SECRET_NAME settings only name one)', () => {
    const looksSecret = settingNames.filter(
      (name) =>
        /(_SECRET|_KEY|_STATE|_STATE_PREVIOUS|_STRING|_TERMINALS)$/.test(name) || name === 'AzureWebJobsStorage',
    );
    expect(looksSecret.length).toBeGreaterThanOrEqual(8);
    expect([...SECRET_SETTINGS].sort()).toEqual(looksSecret.sort());
  });
});

describe('settingDefault', () => {
  it('is the value a setting takes when it is not set', () => {
    const parsed = parseSettings(minimal);
    for (const name of settingNames)
      if (!(name in minimal)) expect([name, settingDefault(name)]).toEqual([name, parsed[name]]);
    expect(settingDefault('RELEASE_GATE_POLICY_TIMEOUT_MS')).toBe(2000);
    expect(settingDefault('RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE')).toBe('fail-safe');
    expect(settingDefault('RELEASE_GATE_POLICY_MODULE')).toBeUndefined();
  });

  it('knows the four plug-in fail modes and nothing else', () => {
    for (const mode of ['fail-safe', 'skip-rule', 'release', 'deny'])
      expect(
        parseSettings({ ...minimal, RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE: mode }).RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE,
      ).toBe(mode);
    expect(() => parseSettings({ ...minimal, RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE: 'no-match' })).toThrow(
      SettingsError,
    );
  });
});

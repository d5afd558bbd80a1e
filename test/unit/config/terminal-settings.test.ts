import { parseSettings, SettingsError } from '../../../src/config/load-settings';
import { DEFAULT_MIN_PIN_LENGTH, MAX_PIN_LENGTH } from '../../../src/release/pin-policy';

const minimal = {
  RELEASE_GATE_TENANT_ID: '9a4c2f1e-7b3d-4e8a-b6c5-0d1e2f3a4b5c',
  RELEASE_GATE_KEY_VAULT_URI: 'https://kv-release-gate.vault.azure.net/',
  RELEASE_GATE_APP_CLIENT_ID: '5c1d8a2b-4e6f-4a7b-9c8d-1e2f3a4b5c6d',
  AzureWebJobsStorage__queueServiceUri: 'https://st.queue.core.windows.net',
};

describe('terminal settings', () => {
  it('defaults: badges of 1-64 letters, digits and hyphens, PINs of 6+ digits, badge or PIN', () => {
    expect(parseSettings(minimal)).toMatchObject({
      RELEASE_GATE_BADGE_PATTERN: '^[A-Za-z0-9-]{1,64}$',
      RELEASE_GATE_PIN_MIN_LENGTH: 6,
      RELEASE_GATE_TERMINAL_SIGN_IN: 'badge-or-pin',
    });
  });

  it('a badge format is one character class and a length, nothing else', () => {
    expect(parseSettings({ ...minimal, RELEASE_GATE_BADGE_PATTERN: '^[0-9]{6,10}$' }).RELEASE_GATE_BADGE_PATTERN).toBe(
      '^[0-9]{6,10}$',
    );
    for (const bad of ['^(a+)+$', '[0-9]{6}', '^[0-9]{6,10}', '^[0-9]{0,10}$', '^[0-9]{10,6}$', '^[0-9]{1,999}$', '.*'])
      expect(() => parseSettings({ ...minimal, RELEASE_GATE_BADGE_PATTERN: bad })).toThrow(SettingsError);
  });

  it('the PIN minimum is 6 to 12; the sign-in mode is one of two', () => {
    expect(() => parseSettings({ ...minimal, RELEASE_GATE_PIN_MIN_LENGTH: '4' })).toThrow(SettingsError);
    expect(() => parseSettings({ ...minimal, RELEASE_GATE_PIN_MIN_LENGTH: '13' })).toThrow(SettingsError);
    expect(parseSettings({ ...minimal, RELEASE_GATE_PIN_MIN_LENGTH: '8' }).RELEASE_GATE_PIN_MIN_LENGTH).toBe(8);
    expect(() => parseSettings({ ...minimal, RELEASE_GATE_TERMINAL_SIGN_IN: 'pin-only' })).toThrow(SettingsError);
  });

  it('the PIN minimum spans the lengths the PIN rules allow (pin-policy.ts)', () => {
    const minLength = (value?: number) =>
      parseSettings({ ...minimal, RELEASE_GATE_PIN_MIN_LENGTH: value === undefined ? undefined : String(value) })
        .RELEASE_GATE_PIN_MIN_LENGTH;
    expect(minLength()).toBe(DEFAULT_MIN_PIN_LENGTH);
    expect(minLength(MAX_PIN_LENGTH)).toBe(MAX_PIN_LENGTH);
    expect(() => minLength(DEFAULT_MIN_PIN_LENGTH - 1)).toThrow(SettingsError);
    expect(() => minLength(MAX_PIN_LENGTH + 1)).toThrow(SettingsError);
  });
});

import path from 'node:path';
import { startLocalFunctionsHost, type LocalFunctionsHost } from '../../sandbox/host/local-functions-host';
import { Notifier } from '../../sandbox/simulator/notifier';
import { waitFor } from '../support/wait';

/**
 * Graph validates both subscription URLs (notification and lifecycle) before it creates a
 * subscription. In Azure both functions are `authLevel: 'function'`: a URL without `?code=` gets 401
 * and the subscription is refused. The strict local host shows it; Core Tools' leniency (keys not
 * enforced) would have hidden it, which is how a keyless lifecycle URL once passed every test.
 */
const root = path.resolve(__dirname, '..', '..');
const files = ['notifications.ts', 'lifecycle.ts'].map((f) => path.join(root, 'functions', f));
const settings = {
  RELEASE_GATE_TENANT_ID: '00000000-0000-4000-8000-000000000001',
  RELEASE_GATE_APP_CLIENT_ID: '00000000-0000-4000-8000-0000000000a1',
  RELEASE_GATE_SECRET_SOURCE: 'settings',
  RELEASE_GATE_CLIENT_STATE: 'client-state-for-the-handshake-test',
  // Never reached: the handshake is answered before any storage call.
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
};
const graph = new Notifier({ maxAttempts: 1 }, settings.RELEASE_GATE_TENANT_ID);

async function withHost(
  lenient: { keysNotEnforced?: boolean },
  test: (host: LocalFunctionsHost) => Promise<void>,
  options: { files?: string[]; settings?: Record<string, string> } = {},
): Promise<void> {
  jest.resetModules(); // each host loads the function files afresh, as a new worker would
  const host = await startLocalFunctionsHost({
    settings: options.settings ?? settings,
    port: 0,
    files: options.files ?? files,
    log: () => undefined,
    lenient,
  });
  try {
    await test(host);
  } finally {
    await host.stop();
  }
}

describe("Graph's validation handshake against the functions' authLevel", () => {
  it('strict host (as Azure): a URL without the key gets 401 and validation fails; with the key it passes', async () => {
    await withHost({}, async (host) => {
      for (const route of ['notifications', 'lifecycle']) {
        const keyless = await graph.validate(`${host.url}/api/${route}`);
        expect(keyless).toEqual({ ok: false, reason: 'the endpoint answered 401' });
        const withKey = await graph.validate(`${host.url}/api/${route}?code=${host.keys.host.default}&cs=0123abcd`);
        expect(withKey).toEqual({ ok: true });
      }
    });
  });

  it('the named lenient option (keys not enforced, as Core Tools) would have let the keyless URL pass', async () => {
    await withHost({ keysNotEnforced: true }, async (host) => {
      expect(await graph.validate(`${host.url}/api/lifecycle`)).toEqual({ ok: true });
    });
  });

  it('the worker start-up check reports a missing key for public URLs as an error with the fix', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await withHost(
        {},
        async () => {
          await waitFor('the start-up check', () =>
            errors.mock.calls.some((call) => String(call[0]).includes('"event":"startup.function-key-missing"')),
          );
        },
        {
          files: [path.join(root, 'functions', 'startup.ts')],
          settings: {
            ...settings,
            RELEASE_GATE_NOTIFICATION_URL: 'https://func.example.net/api/notifications',
            RELEASE_GATE_LIFECYCLE_URL: 'https://func.example.net/api/lifecycle',
          },
        },
      );
      const logged = errors.mock.calls.map((call) => String(call[0])).find((l) => l.includes('startup.function-key'));
      expect(JSON.parse(logged!)).toMatchObject({ fix: expect.stringMatching(/RELEASE_GATE_FUNCTION_KEY/) });
    } finally {
      errors.mockRestore();
      for (const name of ['RELEASE_GATE_NOTIFICATION_URL', 'RELEASE_GATE_LIFECYCLE_URL']) delete process.env[name];
    }
  });
});

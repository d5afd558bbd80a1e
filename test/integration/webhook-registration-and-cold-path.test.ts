import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { collection, taskNotification, testEnvironment } from '../support/notification-fixtures';

const root = path.resolve(__dirname, '../..');

describe('the notifications function', () => {
  it('registers POST /api/notifications with a function key', async () => {
    const registrations: [string, Record<string, unknown>][] = [];
    await jest.isolateModulesAsync(async () => {
      // The module registry is fresh here, so spy on the copy of the package the function will import.
      const { app } = await import('@azure/functions');
      jest.spyOn(app, 'http').mockImplementation((name, options) => {
        registrations.push([name, options as unknown as Record<string, unknown>]);
      });
      await import('../../functions/notifications');
    });
    expect(registrations).toEqual([
      ['notifications', expect.objectContaining({ route: 'notifications', methods: ['POST'], authLevel: 'function' })],
    ]);
  });

  /**
   * A fresh Node process, as on a cold instance: load function files as the host does, answer one
   * notification (its queue write fails fast: nothing listens on port 1), and list the packages and
   * our own folders that came with them. Runs the TypeScript sources, so a regression fails here
   * before any benchmark sees it.
   */
  function loadedBy(files: 'notifications' | 'every function'): { packages: string[]; ours: string[] } {
    const script = `
      const { HttpRequest, InvocationContext } = require('@azure/functions');
      const files = ${JSON.stringify(files)} === 'notifications'
        ? ['notifications.ts']
        : require('fs').readdirSync('functions');
      for (const f of files) require('./functions/' + f);
      const { notifications } = require('./functions/notifications.ts');
      notifications(
        new HttpRequest({ method: 'POST', url: 'http://127.0.0.1/api/notifications',
          headers: { 'content-type': 'application/json' }, body: { string: process.env.PROBE_BODY } }),
        new InvocationContext({ logHandler: () => {} }),
      ).then((response) => {
        const loaded = Object.keys(require.cache);
        const pkgs = new Set(loaded.filter((f) => f.includes('node_modules'))
          .map((f) => f.split('node_modules/').pop().split('/'))
          .map(([scope, name]) => (scope.startsWith('@') ? scope + '/' + name : scope)));
        const ours = loaded.filter((f) => !f.includes('node_modules') && f.includes('/src/'))
          .map((f) => f.split('/src/').pop());
        console.log(JSON.stringify({ status: response.status, packages: [...pkgs], ours }));
      });`;
    // The preload gives `@azure/functions` its host module, as the worker does (no "test mode" warnings).
    const preload = ['--require', 'tsx/cjs', '--require', './sandbox/host/provide-functions-core.ts'];
    const output = execFileSync(process.execPath, [...preload, '-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        ...testEnvironment(
          'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;QueueEndpoint=http://127.0.0.1:1/devstoreaccount1',
        ),
        PROBE_BODY: JSON.stringify(collection(taskNotification('cold-task'))),
        NODE_OPTIONS: '',
      },
    });
    const result = JSON.parse(output.trim().split('\n').pop() ?? '{}') as {
      status: number;
      packages: string[];
      ours: string[];
    };
    expect(result.status).toBe(503); // the first request ran its whole path, queue write included
    return result;
  }

  /** What the webhook's cold path must not load: Graph, identity, Key Vault, metrics export, the policy. */
  const HEAVY_PACKAGES = [
    '@microsoft/microsoft-graph-client',
    '@azure/identity',
    '@azure/msal-node',
    '@azure/keyvault-secrets',
    '@azure/monitor-opentelemetry-exporter',
    '@opentelemetry/sdk-metrics',
    // The queue SDK is not here: the first answer writes the notification with it (loaded then, not at start).
    '@azure/data-tables',
  ];

  it.each(['notifications', 'every function'] as const)(
    'loads no Graph, identity, Key Vault, metrics or Tables SDK and no policy when %s file(s) load and answer',
    (files) => {
      const { packages, ours } = loadedBy(files);
      expect(packages).toEqual(expect.arrayContaining(['@azure/functions', 'zod'])); // sanity: the probe sees what loads
      expect(ours).toContain('webhook/receive-notifications.ts'); // and our own files
      for (const heavy of HEAVY_PACKAGES) expect(packages).not.toContain(heavy);
      // Our own heavy parts: the policy, the processor and the Graph client (graph/ids.ts, plain parsing, is fine).
      const forbidden = ours.filter((file) => /^(policy|processor)\/|^graph\/(graph-client|print-api)/.test(file));
      expect(forbidden).toEqual([]);
    },
  );
});

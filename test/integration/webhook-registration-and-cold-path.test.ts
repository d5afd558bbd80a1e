import { execFileSync } from 'node:child_process';
import path from 'node:path';

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

  it('loads no Graph, identity or Key Vault SDK when the worker starts', () => {
    // A fresh Node process, as on a cold instance: the host loads every function file at start-up,
    // so load them all and list what came with them.
    const script = `
      for (const f of require('fs').readdirSync('functions')) require('./functions/' + f);
      const loaded = Object.keys(require.cache).filter((f) => f.includes('node_modules'));
      const pkgs = new Set(loaded.map((f) => f.split('node_modules/').pop().split('/').slice(0, 2).join('/')));
      console.log(JSON.stringify([...pkgs]));`;
    const output = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const packages = JSON.parse(output.trim().split('\n').pop() ?? '[]') as string[];
    expect(packages).toContain('@azure/storage-queue'); // sanity: the probe does see what loads
    for (const heavy of [
      '@microsoft/microsoft-graph-client',
      '@azure/identity',
      '@azure/msal-node',
      '@azure/keyvault-secrets',
    ]) {
      expect(packages).not.toContain(heavy);
    }
  });
});

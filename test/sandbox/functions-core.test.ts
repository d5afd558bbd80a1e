import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { captureRegistrations, functionFiles } from '../../sandbox/host/registrations';

const root = path.resolve(__dirname, '../..');
const TEST_MODE = /test mode|Skipping call to register|Failed to detect the Azure Functions runtime/;

/**
 * `@azure/functions` looks for its host as the module `@azure/functions-core`; without it, it prints a
 * "Skipping call to register function … test mode" warning per function. Jest (moduleNameMapper) and
 * the local host (provideFunctionsCore) give it sandbox/host/functions-core.ts, as the worker gives its own.
 */
describe('the Functions core API the package looks for', () => {
  it('in jest: loading every function file warns nothing and registers each function with its bindings', () => {
    const warn = jest.spyOn(console, 'warn');
    const log = jest.spyOn(console, 'log');
    let names: string[] = [];
    let hooks: string[] = [];
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading is what is tested
      for (const file of functionFiles()) require(file);
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the copy jest mapped the package to
      const core = require('@azure/functions-core') as typeof import('../../sandbox/host/functions-core');
      names = core.registeredFunctions().map((f) => `${f.name}:${Object.values(f.bindings)[0]!.type}`);
      hooks = core.registeredHooks();
    });
    const printed = [...warn.mock.calls, ...log.mock.calls].map((args) => args.join(' '));
    warn.mockRestore();
    log.mockRestore();
    expect(printed.filter((line) => TEST_MODE.test(line))).toEqual([]);
    expect(names).toEqual(
      expect.arrayContaining([
        'notifications:httpTrigger',
        'release-page:httpTrigger',
        'process-task:queueTrigger',
        'reconcile-tasks:timerTrigger',
      ]),
    );
    expect(hooks).toContain('appStart');
  });

  it('in a plain Node process (as the sandbox and a cold worker load them): no test-mode line', async () => {
    const script = `
      require('./sandbox/host/functions-core.ts').provideFunctionsCore();
      for (const f of require('fs').readdirSync('functions')) require('./functions/' + f);
      console.log(JSON.stringify(require('./sandbox/host/functions-core.ts').registeredFunctions().map((f) => f.name)));`;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(stderr).not.toMatch(TEST_MODE);
    // The same functions the local host learns from the files (registrations.ts).
    let expected: string[] = [];
    jest.isolateModules(() => {
      const found = captureRegistrations();
      expected = [...found.http, ...found.queues, ...found.timers].map((r) => r.name);
    });
    expect((JSON.parse(stdout) as string[]).sort()).toEqual(expected.sort());
  });
});

/**
 * One jest project per kind of test (the folders under test/). `npm run test:unit` runs the unit
 * project alone: fakes only, no Azurite, no simulator, no browser, no child process.
 * `npm run jest -- --selectProjects e2e` runs one kind; `npm test` runs them all.
 */

/** What every project shares. */
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/test/support/jest-env.ts'],
  transform: {
    // Type checking is `npm run typecheck`'s job; jest only strips types (swc: a cold CI run
    // transforms every module once per worker, several times faster than ts-jest).
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // What the Functions worker gives `@azure/functions` (else "test mode" and a warning per function file).
  moduleNameMapper: { '^@azure/functions-core$': '<rootDir>/sandbox/host/functions-core.ts' },
};

/** A project for the tests under test/<folder>. */
const kind = (folder, settings = {}) => ({
  ...base,
  displayName: folder,
  roots: [`<rootDir>/test/${folder}`],
  ...settings,
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    // Fakes and fake timers only: a unit test that takes seconds is doing I/O it should not.
    kind('unit', { setupFilesAfterEnv: ['<rootDir>/test/support/unit-time-limit.ts'] }),
    // Real parts one at a time: Azurite, the Key Vault and identity stand-ins, child processes.
    kind('integration'),
    // The Universal Print simulator against Graph's contract, with the real Graph SDK.
    kind('simulator'),
    // The sandbox's own parts: the local Functions host, the Graph handshake.
    kind('sandbox'),
    // The whole app in the sandbox (host + Azurite + simulator), the commands, the browser.
    kind('e2e'),
    // Fuzzing, chaos, outages, load, several hosts.
    kind('resilience'),
  ],
  // Every kind but unit (whose tests get 5 s: test/support/unit-time-limit.ts); long tests set their own.
  testTimeout: 30000,
  // Two cores here: one worker per core keeps Azurite and the simulator from starving each other.
  maxWorkers: 2,
};

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
    // Type checking is `npm run typecheck`'s job; jest only strips types, which keeps the suite fast.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
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
    kind('unit', { testTimeout: 5000 }),
    // Real parts one at a time: Azurite, the Key Vault and identity stand-ins, child processes.
    kind('integration', { testTimeout: 30000 }),
    // The Universal Print simulator against Graph's contract, with the real Graph SDK.
    kind('simulator', { testTimeout: 30000 }),
    // The sandbox's own parts: the local Functions host, the Graph handshake.
    kind('sandbox', { testTimeout: 30000 }),
    // The whole app in the sandbox (host + Azurite + simulator), the commands, the browser.
    kind('e2e', { testTimeout: 30000 }),
    // Fuzzing, chaos, outages, load, several hosts (their long tests set their own time limits).
    kind('resilience', { testTimeout: 30000 }),
  ],
  // Two cores here: one worker per core keeps Azurite and the simulator from starving each other.
  maxWorkers: 2,
};

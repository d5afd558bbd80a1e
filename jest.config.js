/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/test/support/jest-env.ts'],
  transform: {
    // Type checking is `npm run typecheck`'s job; jest only strips types, which keeps the suite fast.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  // Two cores here: one worker per core keeps Azurite and the simulator from starving each other.
  maxWorkers: 2,
};

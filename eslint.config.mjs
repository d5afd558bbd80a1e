// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.sandbox/', '**/*.js', '!web/**/*.js', '**/*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Type-aware rules: the bugs the compiler lets through (a promise nobody awaits, a promise where a
    // callback's result is ignored, `await` on a non-promise, throwing or rejecting with a non-Error).
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeCheckedOnly],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Off: they flag style, not bugs, here. `async` without `await` keeps a function's contract
      // (it returns a promise, and a throw becomes a rejection); the no-unsafe-* rules flag reads of
      // JSON the code checks itself (zod or explicit guards); the others flag String() and `${}` of
      // values whose text is what we want, and methods passed where `this` is not used.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The deployed code must never reach into the sandbox, tests or benchmarks.
    files: ['src/**/*.ts', 'functions/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/sandbox/**', '**/test/**', '**/bench/**'] }],
    },
  },
  {
    // Dependencies point one way: functions/ -> src/, never back.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['**/functions/**', '**/sandbox/**', '**/test/**', '**/bench/**'] },
      ],
    },
  },
  {
    // The release page's script runs in the browser, as a module.
    files: ['web/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
);

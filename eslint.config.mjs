// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const notDeployed = [
  {
    group: ['**/sandbox/**', '**/test/**', '**/bench/**', '**/scripts/**'],
    message: 'Development-only code is not deployed.',
  },
  { group: ['**/admin/**'], message: "admin/ is the admin tools' code: it is not deployed." },
];
const inSrc = [...notDeployed, { group: ['**/functions/**'], message: 'src/ never imports functions/.' }];
const restrictImports = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

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
  // Who may import whom. In flat config a later block replaces an earlier block's options for the
  // same rule, so each block below lists every pattern that applies to its files.
  {
    // The deployed code never reaches development-only code: admin/ and its packages are not deployed.
    files: ['functions/**/*.ts'],
    rules: restrictImports(notDeployed),
  },
  {
    // Dependencies point one way: functions/ -> src/, never back.
    files: ['src/**/*.ts'],
    rules: restrictImports(inSrc),
  },
  {
    // The policy decides from what it is given; it never calls Graph or reaches into the processor.
    files: ['src/policy/**/*.ts'],
    rules: restrictImports([
      ...inSrc,
      {
        group: ['**/processor/**', '**/graph/graph-client', '**/graph/print-api', '@microsoft/microsoft-graph-client*'],
        message: 'The policy never calls Graph or the processor: take a look-up interface (see policy-context.ts).',
      },
    ]),
  },
  {
    // The webhook's cold path stays light: no Graph, identity or policy code (src/app's light part serves it).
    files: ['src/webhook/**/*.ts'],
    rules: restrictImports([
      ...inSrc,
      {
        group: [
          '**/graph/*',
          '!**/graph/ids',
          '**/identity/**',
          '**/policy/**',
          '@microsoft/microsoft-graph-client*',
          '@azure/identity*',
        ],
        message: 'The webhook loads no Graph, identity or policy code (only graph/ids, which imports nothing).',
      },
    ]),
  },
  {
    // The release page's script runs in the browser, as a module.
    files: ['web/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
);

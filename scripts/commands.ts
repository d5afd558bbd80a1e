/**
 * Every command a user runs with `npm run <name> -- …`, by name. Each module exports
 * `command(terminal)`, built with admin/cli/cli.ts, so tests run any command in-process: its help,
 * its bad input, and the README's examples as written.
 */
import type { Command } from 'commander';
import type { Terminal } from '../admin/cli/cli';

export interface CommandModule {
  command(terminal: Terminal): Command;
}

export const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  sandbox: () => import('../sandbox/main'),
  print: () => import('../sandbox/print-job'),
  demo: () => import('../sandbox/demo/run-demo'),
  // Each lane of issue 16 adds its commands here, e.g.
  //   print: () => import('../sandbox/print-job'),
  policy: () => import('./policy-cli'),
  report: () => import('./report'),
  quota: () => import('./quota'),
  setup: () => import('./setup'),
  doctor: () => import('./doctor'),
  'qr-codes': () => import('./qr-codes'),
  package: () => import('./package'),
  bench: () => import('../bench/run'),
};

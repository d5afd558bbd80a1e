/**
 * Runs a command with the sandbox's development CA trusted (NODE_EXTRA_CA_CERTS), creating the CA
 * first if this machine has none. Node reads NODE_EXTRA_CA_CERTS only at start-up, hence a wrapper.
 *
 *   tsx scripts/with-dev-ca.ts jest --runInBand
 */
import { spawn } from 'node:child_process';
import { ensureDevCertificates } from '../sandbox/tls/dev-certificates';

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error('usage: tsx scripts/with-dev-ca.ts <command> [args...]');
    process.exit(2);
  }
  const { caCertPath } = await ensureDevCertificates();
  const child = spawn(command, args, {
    stdio: 'inherit',
    shell: process.platform === 'win32',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caCertPath },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

void main();

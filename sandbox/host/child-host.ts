/**
 * The local Functions host as its own process, so a test can kill it mid-task (SIGKILL) like a
 * crashed worker. Settings come as JSON in SANDBOX_HOST_SETTINGS, the access keys (so a replacement
 * worker keeps the keys Graph was given) in SANDBOX_HOST_KEYS; prints {"url"} when ready and
 * forwards function logs as JSON lines.
 */
import type { HostKeysInput } from './host-keys';
import { startLocalFunctionsHost } from './local-functions-host';

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.SANDBOX_HOST_SETTINGS ?? '{}') as Record<string, string>;
  const host = await startLocalFunctionsHost({
    settings,
    keys: process.env.SANDBOX_HOST_KEYS ? (JSON.parse(process.env.SANDBOX_HOST_KEYS) as HostKeysInput) : undefined,
    port: Number(process.env.SANDBOX_HOST_PORT ?? 0),
    hostJson: process.env.SANDBOX_HOST_JSON || undefined,
    processingVisibilitySeconds: process.env.SANDBOX_PROCESSING_VISIBILITY_SECONDS
      ? Number(process.env.SANDBOX_PROCESSING_VISIBILITY_SECONDS)
      : undefined,
    log: (entry) => process.stdout.write(`${JSON.stringify({ log: { ...entry, time: entry.time.toISOString() } })}\n`),
  });
  process.stdout.write(`${JSON.stringify({ url: host.url })}\n`);
  process.on('SIGTERM', () => void host.stop().then(() => process.exit(0)));
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

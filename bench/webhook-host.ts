/**
 * Child process for the webhook benchmark: the local Functions host running only the notifications
 * function, on a free port. Prints its URL, then its memory use every 500 ms, as JSON lines.
 */
import path from 'node:path';
import { startLocalFunctionsHost } from '../sandbox/host/local-functions-host';

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.BENCH_SETTINGS ?? '{}') as Record<string, string>;
  const host = await startLocalFunctionsHost({
    settings,
    port: 0,
    files: [path.resolve(__dirname, '..', 'functions', 'notifications.ts')],
    log: () => undefined, // logging cost is the host's, not ours; keep the figure about our code
  });
  // The host enforces the function's authLevel: the bench sends the host key, as Graph does.
  console.log(JSON.stringify({ url: host.url, key: host.keys.host.default }));
  const timer = setInterval(
    () =>
      console.log(
        JSON.stringify({ rssMb: process.memoryUsage().rss / 1e6, heapMb: process.memoryUsage().heapUsed / 1e6 }),
      ),
    500,
  );
  process.on('SIGTERM', () => {
    clearInterval(timer);
    void host.stop().then(() => process.exit(0));
  });
}

void main();

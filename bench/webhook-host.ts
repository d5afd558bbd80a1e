/**
 * Child process for the webhook benchmarks, in one of two modes (BENCH_MODE):
 * - `webhook`: the local Functions host running only the notifications function, on a free port;
 * - `bare`: the baseline, a bare Node `http` server that does the same queue writes (one message per
 *   notification, through the same queue writer as the webhook, same Azurite) and answers 202: what any server must
 *   pay to acknowledge durably, without the host, the checks or our code.
 * Each runs in its own process so that the load generator's CPU is not on the server's event loop.
 * Prints its URL, then its memory use every 500 ms, as JSON lines.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startLocalFunctionsHost } from '../sandbox/host/local-functions-host';
import { parseSettings } from '../src/config/load-settings';
import type { PrintTaskMessage } from '../src/queue/print-task-message';
import { queueFromSettings } from '../src/queue/task-queue';

async function startWebhook(settings: Record<string, string>) {
  const host = await startLocalFunctionsHost({
    settings,
    port: 0,
    files: [path.resolve(__dirname, '..', 'functions', 'notifications.ts')],
    log: () => undefined, // logging cost is the host's, not ours; keep the figure about our code
  });
  // The host enforces the function's authLevel: the bench sends the host key, as Graph does.
  return { url: `${host.url}/api/notifications?code=${encodeURIComponent(host.keys.host.default!)}`, stop: host.stop };
}

async function startBare(settings: Record<string, string>) {
  const config = parseSettings(settings);
  const queue = queueFromSettings<PrintTaskMessage>(config, config.RELEASE_GATE_TASK_QUEUE);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { value } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        value: { subscriptionId: string; tenantId: string; resourceData: { id: string } }[];
      };
      const messages = value.map((n): PrintTaskMessage => ({
        version: 1,
        taskDefinitionId: config.RELEASE_GATE_TASK_DEFINITION_ID!,
        taskId: n.resourceData.id,
        subscriptionId: n.subscriptionId,
        tenantId: n.tenantId,
        receivedAt: new Date().toISOString(),
        correlationId: randomUUID(),
        source: 'notification',
      }));
      const deadline = AbortSignal.timeout(2000);
      setMaxListeners(messages.length + 10, deadline); // as the webhook does: one listener per write
      queue.send(messages, deadline).then(
        () => res.writeHead(202).end(),
        () => res.writeHead(503).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.BENCH_SETTINGS ?? '{}') as Record<string, string>;
  const server = process.env.BENCH_MODE === 'bare' ? await startBare(settings) : await startWebhook(settings);
  console.log(JSON.stringify({ url: server.url }));
  const timer = setInterval(
    () =>
      console.log(
        JSON.stringify({ rssMb: process.memoryUsage().rss / 1e6, heapMb: process.memoryUsage().heapUsed / 1e6 }),
      ),
    500,
  );
  process.on('SIGTERM', () => {
    clearInterval(timer);
    void server.stop().then(() => process.exit(0));
  });
}

void main();

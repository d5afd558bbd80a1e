import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startAzurite } from '../sandbox/azurite';
import { closeAgent, closedLoop, openLoop, post } from './load';
import { summarize, round } from './stats';

const TENANT = '9a4c2f1e-7b3d-4e8a-b6c5-0d1e2f3a4b5c';
const DEFINITION = '3203656e-6069-4e10-8147-d25290b00a3c';
const PRINTER = '016b5565-3bbf-4067-b9ff-4d68167eb1a6';
const CLIENT_STATE = 'bench-client-state';
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
/** The app settings both webhook benchmarks run with (storage is added per run). */
const benchSettings = {
  RELEASE_GATE_TENANT_ID: TENANT,
  RELEASE_GATE_TASK_DEFINITION_ID: DEFINITION,
  RELEASE_GATE_APP_CLIENT_ID: '5c1d8a2b-4e6f-4a7b-9c8d-1e2f3a4b5c6d',
  RELEASE_GATE_SECRET_SOURCE: 'settings',
  RELEASE_GATE_CLIENT_STATE: CLIENT_STATE,
  RELEASE_GATE_APP_CREDENTIAL: 'secret',
  RELEASE_GATE_APP_SECRET: 'unused',
};

function batch(size: number, start: number): string {
  const value = Array.from({ length: size }, (_, i) => {
    const taskId = `bench-${start + i}`;
    const resource = `print/taskDefinitions/${DEFINITION}/tasks/${taskId}`;
    return {
      subscriptionId: '7f105c7d-2dc5-4530-97cd-4e7ae6534c07',
      changeType: 'created',
      clientState: CLIENT_STATE,
      tenantId: TENANT,
      resource,
      resourceData: {
        id: taskId,
        parentUrl: `https://graph.microsoft.com/v1.0/print/printers/${PRINTER}/jobs/${start + i}`,
      },
    };
  });
  return JSON.stringify({ value });
}

async function startHostProcess(settings: Record<string, string>) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(__dirname, 'webhook-host.ts')],
    {
      env: { ...process.env, BENCH_SETTINGS: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let memory = { rssMb: 0, heapMb: 0 };
  const { url, key } = await new Promise<{ url: string; key: string }>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const message = JSON.parse(line) as { url?: string; key?: string; rssMb?: number; heapMb?: number };
        if (message.url) resolve({ url: message.url, key: message.key ?? '' });
        if (message.rssMb) memory = { rssMb: message.rssMb, heapMb: message.heapMb ?? 0 };
      }
    });
    child.once('exit', (code) => reject(new Error(`host exited with ${code}`)));
  });
  return {
    url,
    key,
    memory: () => memory,
    stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))),
  };
}

function startBareServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202);
      res.end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        stop: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
      }),
    ),
  );
}

/** Webhook acknowledgement latency and throughput through the local host, beside a bare Node server. */
export async function benchWebhook(options: { quick: boolean }) {
  const azurite = await startAzurite();
  const host = await startHostProcess({ ...benchSettings, AzureWebJobsStorage: azurite.connectionString });
  const bare = await startBareServer();
  const webhookUrl = `${host.url}/api/notifications?code=${encodeURIComponent(host.key)}`;
  const scale = options.quick ? 0.25 : 1;
  let counter = 0;
  const rows: Record<string, unknown>[] = [];
  try {
    // Warm up: first queue creation, JIT.
    await closedLoop(50, 4, () => post(webhookUrl, batch(1, (counter += 1)), JSON_HEADERS));
    for (const size of [1, 100]) {
      const count = Math.round((size === 1 ? 2000 : 200) * scale);
      const concurrency = size === 1 ? 32 : 8;
      const webhook = await closedLoop(count, concurrency, () =>
        post(webhookUrl, batch(size, (counter += size)), JSON_HEADERS),
      );
      const baseline = await closedLoop(count, concurrency, () => post(bare.url, batch(size, 0), JSON_HEADERS));
      const w = summarize(webhook.latencies, webhook.elapsedMs, count * size);
      const b = summarize(baseline.latencies, baseline.elapsedMs, count * size);
      rows.push({
        scenario: `batch ${size}, closed loop x${concurrency}`,
        server: 'webhook',
        ...w,
        non202: count - (webhook.statuses.get(202) ?? 0),
      });
      rows.push({ scenario: `batch ${size}, closed loop x${concurrency}`, server: 'bare node', ...b, non202: 0 });
      rows.push({
        scenario: `batch ${size}`,
        server: 'ratio webhook/bare throughput',
        requestsPerSecond: round(w.requestsPerSecond / b.requestsPerSecond),
      });
    }
    // The target: 200 notifications/s, one per request, p99 under 50 ms.
    const seconds = options.quick ? 5 : 15;
    const steady = await openLoop(200, seconds, () => post(webhookUrl, batch(1, (counter += 1)), JSON_HEADERS));
    const memory = host.memory();
    rows.push({
      scenario: `open loop 200/s for ${seconds}s`,
      server: 'webhook',
      ...summarize(steady.latencies, steady.elapsedMs),
      non202: steady.latencies.length - (steady.statuses.get(202) ?? 0),
      rssMb: round(memory.rssMb, 1),
      heapMb: round(memory.heapMb, 1),
    });
  } finally {
    closeAgent();
    await bare.stop();
    await host.stop();
    await azurite.stop();
  }
  return rows;
}

/**
 * The webhook handler alone (no HTTP, no storage): what our own code costs per request, so the
 * end-to-end figures can be read as Azurite's and the host's share versus ours.
 */
export async function benchWebhookHandler(options: { quick: boolean }) {
  const { HttpRequest } = await import('@azure/functions');
  const { parseSettings } = await import('../src/config/load-settings');
  const { createLog } = await import('../src/observability/log');
  const { receiveNotifications } = await import('../src/webhook/receive-notifications');
  const settings = parseSettings({ ...benchSettings, AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
  const deps = {
    settings,
    clientStates: async () => [CLIENT_STATE],
    queue: { send: async () => undefined },
    log: createLog({ info: () => undefined, warn: () => undefined, error: () => undefined }),
  };
  const rows: Record<string, unknown>[] = [];
  for (const size of [1, 100]) {
    const count = (size === 1 ? 20_000 : 1_000) * (options.quick ? 0.25 : 1);
    const body = batch(size, 0);
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      await receiveNotifications(
        new HttpRequest({
          method: 'POST',
          url: 'http://127.0.0.1/api/notifications',
          headers: JSON_HEADERS,
          body: { string: body },
        }),
        deps,
      );
    }
    const ms = performance.now() - started;
    rows.push({
      scenario: `handler only, batch ${size}`,
      requests: count,
      usPerRequest: round((ms * 1000) / count),
      requestsPerSecond: round((count / ms) * 1000),
    });
  }
  return rows;
}

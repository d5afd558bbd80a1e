import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startAzurite } from '../sandbox/azurite';
import { BENCH_CLIENT_STATE, benchSettings, notificationBatch } from './bench-settings';
import { closeAgent, closedLoop, openLoop, post } from './load';
import { summarize, round } from './stats';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/** A server for the benchmark in its own process (bench/webhook-host.ts): our webhook or the bare baseline. */
async function startServerProcess(mode: 'webhook' | 'bare', settings: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'webhook-host.ts')], {
    env: { ...process.env, BENCH_SETTINGS: JSON.stringify(settings), BENCH_MODE: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let memory = { rssMb: 0, heapMb: 0 };
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const message = JSON.parse(line) as { url?: string; rssMb?: number; heapMb?: number };
        if (message.url) resolve(message.url);
        if (message.rssMb) memory = { rssMb: message.rssMb, heapMb: message.heapMb ?? 0 };
      }
    });
    child.once('exit', (code) => reject(new Error(`the ${mode} server exited with ${code}`)));
  });
  return {
    url,
    memory: () => memory,
    stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))),
  };
}

/**
 * Durable acknowledgement through the local Functions host, beside the baseline: a bare Node server
 * doing the same queue writes to the same Azurite (bench/webhook-host.ts). Each in its own process.
 * - throughput: closed loop, one notification per request, 32 in flight; the figure is the ratio;
 * - latency: an open loop at a steady 200 notifications/s (one per request); the figure is p99.
 * Runs alternate between the two servers so that load from other processes hits both alike.
 */
export async function benchWebhook(options: { quick: boolean }) {
  const azurite = await startAzurite();
  const storage = { AzureWebJobsStorage: azurite.connectionString };
  const webhook = await startServerProcess('webhook', { ...benchSettings, ...storage });
  const bare = await startServerProcess('bare', {
    ...benchSettings,
    ...storage,
    RELEASE_GATE_TASK_QUEUE: 'bare-tasks',
  });
  const servers = { webhook, bare };
  const scale = options.quick ? 0.25 : 1;
  let counter = 0;
  const send = (url: string, size: number) => post(url, notificationBatch(size, (counter += size)), JSON_HEADERS);
  const rows: Record<string, unknown>[] = [];
  let failed = 0;
  const statusesOk = (statuses: Map<number, number>, count: number) => count - (statuses.get(202) ?? 0);
  try {
    for (const server of Object.values(servers)) await closedLoop(100, 4, () => send(server.url, 1)); // queue, JIT
    const throughput: Record<string, { latencies: number[]; elapsedMs: number; failed: number }> = {};
    for (const size of [1, 100]) {
      const count = Math.round((size === 1 ? 1000 : 100) * scale);
      const concurrency = size === 1 ? 32 : 4;
      const totals: Record<string, { latencies: number[]; elapsedMs: number; failed: number }> = {};
      for (let round_ = 0; round_ < 2; round_++) {
        for (const [name, server] of Object.entries(servers)) {
          const run = await closedLoop(count, concurrency, () => send(server.url, size));
          const total = (totals[name] ??= { latencies: [], elapsedMs: 0, failed: 0 });
          total.latencies.push(...run.latencies);
          total.elapsedMs += run.elapsedMs;
          total.failed += statusesOk(run.statuses, count);
        }
      }
      for (const [name, total] of Object.entries(totals)) {
        rows.push({
          scenario: `batch ${size}, closed loop x${concurrency}`,
          server: name === 'bare' ? 'bare node + same queue writes' : 'webhook (local host)',
          ...summarize(total.latencies, total.elapsedMs, total.latencies.length * size),
          non202: total.failed,
        });
      }
      if (size === 1) {
        Object.assign(throughput, totals);
        failed += Object.values(totals).reduce((n, total) => n + total.failed, 0);
      }
    }
    const seconds = options.quick ? 5 : 15;
    const steady: Record<string, ReturnType<typeof summarize>> = {};
    for (const [name, server] of Object.entries(servers)) {
      // Each open loop starts alike: Azurite has drained the batch runs' backlog, and the server is warm.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await closedLoop(50, 4, () => send(server.url, 1));
      const run = await openLoop(200, seconds, () => send(server.url, 1));
      const memory = server.memory();
      steady[name] = summarize(run.latencies, run.elapsedMs);
      failed += statusesOk(run.statuses, run.latencies.length);
      rows.push({
        scenario: `open loop 200/s for ${seconds}s`,
        server: name === 'bare' ? 'bare node + same queue writes' : 'webhook (local host)',
        ...steady[name],
        non202: statusesOk(run.statuses, run.latencies.length),
        rssMb: round(memory.rssMb, 1),
      });
    }
    const rps = (name: string) => (throughput[name]!.latencies.length / throughput[name]!.elapsedMs) * 1000;
    return {
      rows,
      throughput: {
        webhook: round(rps('webhook')),
        bare: round(rps('bare')),
        ratio: round(rps('webhook') / rps('bare')),
      },
      ackP99: { webhook: steady.webhook!.p99Ms, bare: steady.bare!.p99Ms },
      /** Requests not answered 202 in the runs the figures come from (batch 1, steady). */
      failed,
    };
  } finally {
    closeAgent();
    await bare.stop();
    await webhook.stop();
    await azurite.stop();
  }
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
    clientStates: async () => [BENCH_CLIENT_STATE],
    queue: { send: async () => undefined },
    log: createLog({ info: () => undefined, warn: () => undefined, error: () => undefined }),
  };
  const rows: Record<string, unknown>[] = [];
  for (const size of [1, 100]) {
    const count = (size === 1 ? 20_000 : 1_000) * (options.quick ? 0.25 : 1);
    const body = notificationBatch(size, 0);
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

/**
 * Child process for the processor benchmark: the sandbox (Azurite, the simulator, Release Gate set up
 * in the simulated tenant) with its Functions host stopped, and a loopback proxy in front of Azurite's
 * table and queue services that records when each storage request starts and ends. In its own
 * process so that the benchmark's process spends CPU only on Release Gate's side: Graph's stand-in,
 * Azurite and the proxy are elsewhere. Driven over IPC (see processor-bench.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox } from '../sandbox/sandbox';
import { DEMO_APP_CLIENT_ID, DEMO_APP_SECRET } from '../sandbox/simulator/demo-tenant';

export interface ProcessorSandboxReady {
  type: 'ready';
  connectionString: string;
  simulatorUrl: string;
  authorityHost: string;
  tenantId: string;
  taskDefinitionId: string;
  printerId: string;
  clientId: string;
  clientSecret: string;
}

export type ProcessorSandboxRequest =
  | { type: 'submit'; id: number }
  | { type: 'job'; id: number; printerId: string; jobId: string }
  | { type: 'requests'; id: number }
  | { type: 'stop'; id: number };

interface Interval {
  start: number;
  end: number;
}

/** A proxy that forwards to `target` and records each request's start and end (response fully sent). */
function recordingProxy(target: string, log: Interval[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const agent = new http.Agent({ keepAlive: true });
  const base = new URL(target);
  const server = http.createServer((req, res) => {
    const start = performance.now();
    const upstream = http.request(
      { host: base.hostname, port: base.port, method: req.method, path: req.url, headers: req.headers, agent },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
        res.on('finish', () => {
          log.push({ start, end: performance.now() });
          if (process.env.BENCH_DEBUG)
            console.error(
              `${req.method} ${req.url} ${response.statusCode} ${Math.round(start)}-${Math.round(performance.now())}`,
            );
        });
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        stop: () => new Promise<void>((r) => (server.closeAllConnections(), agent.destroy(), server.close(() => r()))),
      }),
    ),
  );
}

/**
 * The longest chain of requests each of which started after the previous one ended: the round trips
 * a task waits for one after another (overlapping requests cost one wait, not several).
 */
export function longestSequentialChain(intervals: readonly Interval[]): number {
  const sorted = [...intervals].sort((a, b) => a.end - b.end);
  const chain: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let best = 0;
    for (let j = 0; j < i; j++) if (sorted[j]!.end <= sorted[i]!.start) best = Math.max(best, chain[j]!);
    chain.push(best + 1);
  }
  return Math.max(0, ...chain);
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({
    hostPort: 0,
    log: () => undefined,
    simulator: { notifier: { maxAttempts: 1 } },
  });
  await sandbox.host.stop(); // only the benchmark processes tasks
  const requests: Interval[] = [];
  const tables = await recordingProxy(sandbox.azurite.tableUrl, requests);
  const queues = await recordingProxy(sandbox.azurite.queueUrl, requests);
  const account = 'devstoreaccount1';
  const connectionString = sandbox.azurite.connectionString
    .replace(/TableEndpoint=[^;]+/, `TableEndpoint=${tables.url}/${account}`)
    .replace(/QueueEndpoint=[^;]+/, `QueueEndpoint=${queues.url}/${account}`);
  const { simulator } = sandbox;
  const printerId = simulator.demo!.printers.library.id;
  const reply = (message: unknown) => process.send!(message);
  process.on('message', (message: ProcessorSandboxRequest) => {
    void (async () => {
      if (message.type === 'submit') {
        const { job, task } = simulator.tenant.submitJob({ printerId, userPrincipalName: 'adele@contoso.example' });
        reply({ id: message.id, taskId: task!.id, jobId: job.id });
      } else if (message.type === 'job') {
        reply({ id: message.id, state: simulator.tenant.job(message.printerId, message.jobId)?.status.state });
      } else if (message.type === 'requests') {
        const taken = requests.splice(0);
        reply({ id: message.id, count: taken.length, sequential: longestSequentialChain(taken) });
      } else {
        await tables.stop();
        await queues.stop();
        await sandbox.stop();
        reply({ id: message.id });
        process.exit(0);
      }
    })();
  });
  const ready: ProcessorSandboxReady = {
    type: 'ready',
    connectionString,
    simulatorUrl: simulator.url,
    authorityHost: simulator.authorityHost,
    tenantId: simulator.tenantId,
    taskDefinitionId: sandbox.taskDefinitionId,
    printerId,
    clientId: DEMO_APP_CLIENT_ID,
    clientSecret: DEMO_APP_SECRET,
  };
  reply(ready);
}

if (require.main === module) void main();

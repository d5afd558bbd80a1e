import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { tableAuditLog } from '../src/audit/audit-log';
import { createGraphClient } from '../src/graph/graph-client';
import { CLOUDS } from '../src/graph/graph-endpoints';
import { PrintApi } from '../src/graph/print-api';
import { tableHoldStore } from '../src/holds/hold-store';
import { createLog } from '../src/observability/log';
import { releaseEverything } from '../src/policy/decision';
import { processTask } from '../src/processor/process-task';
import { storageTaskQueue } from '../src/queue/task-queue';
import { tableTaskIndex } from '../src/tasks/task-index';
import { tableTaskClaims } from '../src/tasks/task-claims';
import type { ProcessorSandboxReady } from './processor-sandbox';
import { percentile, round } from './stats';

/** The sandbox in a child process (bench/processor-sandbox.ts), asked over IPC. */
async function startSandboxProcess() {
  const child: ChildProcess = fork(path.join(__dirname, 'processor-sandbox.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (value: Record<string, unknown>) => void>();
  let nextId = 0;
  const ready = await new Promise<ProcessorSandboxReady>((resolve, reject) => {
    child.on('message', (message: Record<string, unknown>) => {
      if (message.type === 'ready') return resolve(message as unknown as ProcessorSandboxReady);
      waiting.get(message.id as number)?.(message);
      waiting.delete(message.id as number);
    });
    child.once('exit', (code) => reject(new Error(`the processor sandbox exited with ${code}`)));
  });
  const ask = <T>(message: Record<string, unknown>) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve as (value: Record<string, unknown>) => void);
      child.send({ ...message, id });
    });
  return { ready, ask, stop: () => ask({ type: 'stop' }) };
}

/**
 * The processor on the release path: each task processed directly (no queue polling), the real
 * processor and the real Graph and storage clients, against the simulator (no added latency) and
 * Azurite, both in another process (see processor-sandbox.ts). Per released task:
 * - our CPU: `process.cpuUsage()` around `processTask`. Nothing else runs in this process meanwhile,
 *   and Graph's stand-in, Azurite and the request recorder run elsewhere, so this is Release Gate's
 *   own CPU, SDKs and TLS included (what the Function App pays per task);
 * - storage round trips: requests to Azurite's tables and queues during the task, and the longest
 *   chain of them one after another (recorded by a loopback proxy in front of Azurite).
 */
export async function benchProcessor(options: { quick: boolean }) {
  const sandbox = await startSandboxProcess();
  const { ready } = sandbox;
  const table = (name: string) =>
    TableClient.fromConnectionString(ready.connectionString, name, { allowInsecureConnection: true });
  const api = new PrintApi(
    createGraphClient(
      new ClientSecretCredential(ready.tenantId, ready.clientId, ready.clientSecret, {
        authorityHost: ready.authorityHost,
        disableInstanceDiscovery: true,
      }),
      {
        baseUrl: ready.simulatorUrl,
        version: 'v1.0',
        scope: `${CLOUDS.global.graph}/.default`,
        authorityHost: ready.authorityHost,
        customAuthority: true,
      },
    ),
  );
  let graphMs = 0;
  const deps = {
    api,
    policy: releaseEverything,
    audit: tableAuditLog(table('benchaudit')),
    holds: tableHoldStore(table('benchholds')),
    tasks: tableTaskIndex(table('benchtasks')),
    claims: tableTaskClaims(table('benchtasks'), { leaseSeconds: 60 }),
    queue: storageTaskQueue(new QueueClient(ready.connectionString, 'bench-tasks')),
    log: createLog({ info: () => undefined, warn: () => undefined, error: () => undefined }),
    tenantId: ready.tenantId,
    failSafeAction: 'release' as const,
    maxRetryAfterSeconds: 10,
    metrics: {
      decision: () => undefined,
      queueAge: () => undefined,
      poisoned: () => undefined,
      graphCall: (_op: string, _status: number, ms: number) => void (graphMs += ms),
    },
  };
  const count = options.quick ? 60 : 300;
  const warmUp = 10;
  const cpu: number[] = [];
  const walls: number[] = [];
  const overheads: number[] = [];
  const storageRequests: number[] = [];
  const sequential: number[] = [];
  let calls = 0;
  try {
    for (let i = 0; i < count + warmUp; i++) {
      const { taskId, jobId } = await sandbox.ask<{ taskId: string; jobId: string }>({ type: 'submit' });
      await sandbox.ask({ type: 'requests' }); // forget anything before this task
      const message = {
        version: 1 as const,
        taskDefinitionId: ready.taskDefinitionId,
        taskId,
        printerId: ready.printerId,
        jobId,
        tenantId: ready.tenantId,
        receivedAt: new Date().toISOString(),
        correlationId: randomUUID(),
        source: 'notification' as const,
      };
      graphMs = 0;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const result = await processTask(message, deps);
      const wall = performance.now() - started;
      const used = process.cpuUsage(cpuBefore);
      const storage = await sandbox.ask<{ count: number; sequential: number }>({ type: 'requests' });
      const { state } = await sandbox.ask<{ state?: string }>({ type: 'job', printerId: ready.printerId, jobId });
      if (result.status !== 'acted' || state !== 'completed')
        throw new Error(`Task ${taskId} was not released: ${JSON.stringify(result)} (job ${state})`);
      if (i < warmUp) continue; // token, connections, tables, JIT
      cpu.push((used.user + used.system) / 1000);
      walls.push(wall);
      overheads.push(wall - graphMs);
      storageRequests.push(storage.count);
      sequential.push(storage.sequential);
      calls += result.graphCalls;
    }
  } finally {
    await sandbox.stop();
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const figures = {
    tasks: count,
    cpuMeanMs: round(mean(cpu)),
    cpuP50Ms: round(percentile(sorted(cpu), 50)),
    storageRequestsPerTask: round(mean(storageRequests)),
    sequentialRoundTripsMax: Math.max(...sequential),
    sequentialRoundTripsP50: percentile(sorted(sequential), 50),
  };
  return {
    figures,
    rows: [
      {
        tasks: count,
        graphCallsPerTask: round(calls / count),
        cpuMeanMs: figures.cpuMeanMs,
        cpuP50Ms: figures.cpuP50Ms,
        wallP50Ms: round(percentile(sorted(walls), 50)),
        overheadP50Ms: round(percentile(sorted(overheads), 50)),
        storageRequests: figures.storageRequestsPerTask,
        sequentialP50: figures.sequentialRoundTripsP50,
        sequentialMax: figures.sequentialRoundTripsMax,
      },
    ],
  };
}

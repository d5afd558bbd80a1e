import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { startSandbox } from '../sandbox/sandbox';
import { tableAuditLog } from '../src/audit/audit-log';
import { tableHoldStore } from '../src/holds/hold-store';
import { createLog } from '../src/observability/log';
import { releaseEverything } from '../src/policy/decision';
import { processTask } from '../src/processor/process-task';
import { storageTaskQueue } from '../src/queue/task-queue';
import { tableTaskIndex } from '../src/tasks/task-index';
import { tableTaskClaims } from '../src/tasks/task-claims';
import { percentile, round } from './stats';

/**
 * The processor's own cost on the release path: each task is processed directly (no queue polling)
 * against the simulator with no added latency; Graph time is measured per call, so the overhead is
 * what Release Gate adds on top (policy, journal and audit writes to Azurite, parsing).
 */
export async function benchProcessor(options: { quick: boolean }) {
  const sandbox = await startSandbox({
    hostPort: 0,
    log: () => undefined,
    simulator: { notifier: { maxAttempts: 1 } },
  });
  await sandbox.host.stop(); // only this benchmark processes tasks
  const table = (name: string) =>
    TableClient.fromConnectionString(sandbox.azurite.connectionString, name, { allowInsecureConnection: true });
  let graphMs = 0;
  const deps = {
    api: sandbox.api,
    policy: releaseEverything,
    audit: tableAuditLog(table('benchaudit')),
    holds: tableHoldStore(table('benchholds')),
    tasks: tableTaskIndex(table('benchtasks')),
    claims: tableTaskClaims(table('benchtasks'), { leaseSeconds: 60 }),
    queue: storageTaskQueue(new QueueClient(sandbox.azurite.connectionString, 'bench-tasks')),
    log: createLog({ info: () => undefined, warn: () => undefined, error: () => undefined }),
    tenantId: sandbox.simulator.tenantId,
    failSafeAction: 'release' as const,
    maxRetryAfterSeconds: 10,
    metrics: {
      decision: () => undefined,
      queueAge: () => undefined,
      graphCall: (_op: string, _status: number, ms: number) => void (graphMs += ms),
    },
  };
  const count = options.quick ? 60 : 300;
  const totals: number[] = [];
  const overheads: number[] = [];
  let calls = 0;
  try {
    const printer = sandbox.simulator.demo!.printers.library;
    for (let i = 0; i < count + 10; i++) {
      const { job, task } = sandbox.simulator.tenant.submitJob({
        printerId: printer.id,
        userPrincipalName: 'adele@contoso.example',
      });
      const message = {
        version: 1 as const,
        taskDefinitionId: sandbox.taskDefinitionId,
        taskId: task!.id,
        printerId: printer.id,
        jobId: job.id,
        tenantId: sandbox.simulator.tenantId,
        receivedAt: new Date().toISOString(),
        correlationId: randomUUID(),
        source: 'notification' as const,
      };
      graphMs = 0;
      const started = performance.now();
      const result = await processTask(message, deps);
      const total = performance.now() - started;
      if (result.status !== 'acted' || job.status.state !== 'completed')
        throw new Error(`Task ${task!.id} was not released: ${JSON.stringify(result)}`);
      if (i < 10) continue; // warm-up: token, connections, JIT
      totals.push(total);
      overheads.push(total - graphMs);
      calls += result.graphCalls;
    }
  } finally {
    await sandbox.stop();
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [
    {
      tasks: count,
      graphCallsPerTask: round(calls / count),
      totalP50Ms: round(percentile(sorted(totals), 50)),
      totalP99Ms: round(percentile(sorted(totals), 99)),
      overheadP50Ms: round(percentile(sorted(overheads), 50)),
      overheadMeanMs: round(mean(overheads)),
      overheadP99Ms: round(percentile(sorted(overheads), 99)),
    },
  ];
}

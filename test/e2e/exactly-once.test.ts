import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { SimJob, SimTask } from '../../sandbox/simulator/model';
import { tableAuditLog } from '../../src/audit/audit-log';
import { tableHoldStore } from '../../src/holds/hold-store';
import { createLog } from '../../src/observability/log';
import type { Decision, ReleasePolicy } from '../../src/policy/decision';
import { handlePoisonedTask } from '../../src/processor/handle-poisoned-task';
import { processTask, type ProcessorDependencies } from '../../src/processor/process-task';
import { storageTaskQueue } from '../../src/queue/task-queue';
import { tableTaskClaims } from '../../src/tasks/task-claims';
import { tableTaskIndex } from '../../src/tasks/task-index';

/**
 * Exactly once per task: two runs of one task, each with its own storage clients as two instances
 * would have, share only Azure Tables (Azurite) and Graph (the simulator). Counted at Graph.
 */
describe('exactly once per task across deliveries and instances', () => {
  let sandbox: Sandbox;
  const events: Record<string, unknown>[] = [];
  const log = createLog({
    info: (line: string) => void events.push(JSON.parse(line) as Record<string, unknown>),
    warn: (line: string) => void events.push(JSON.parse(line) as Record<string, unknown>),
    error: (line: string) => void events.push(JSON.parse(line) as Record<string, unknown>),
  });
  const eventsOf = (name: string, taskId: string) => events.filter((e) => e.event === name && e.taskId === taskId);
  const table = (name: string) =>
    TableClient.fromConnectionString(sandbox.azurite.connectionString, name, { allowInsecureConnection: true });
  const waitingQueue = () => new QueueClient(sandbox.azurite.connectionString, 'exactly-once-waiting');

  /** One instance's dependencies: its own clients on the shared storage. */
  const instance = (policy: ReleasePolicy, clock?: () => number): ProcessorDependencies => ({
    api: sandbox.api,
    policy,
    audit: tableAuditLog(table('releasegateaudit')),
    holds: tableHoldStore(table('releasegateholds')),
    tasks: tableTaskIndex(table('releasegatetasks')),
    claims: tableTaskClaims(table('releasegatetasks'), { leaseSeconds: 60, clock }),
    queue: storageTaskQueue(waitingQueue()),
    log,
    tenantId: sandbox.simulator.tenantId,
    failSafeAction: 'release',
    maxRetryAfterSeconds: 1,
  });
  /** A policy that takes its time, so that two runs overlap. */
  const slowly = (decision: Decision, then?: () => void): ReleasePolicy => ({
    name: 'test',
    decide: async () => {
      await new Promise((r) => setTimeout(r, 150));
      then?.();
      return decision;
    },
  });

  /** A job whose notification never reaches the host: the test delivers its task itself. */
  function printUnnoticed(printer: 'floor1Color' | 'floor2Mono' | 'library', name = 'Report.pdf') {
    sandbox.simulator.notifier.dropNext(sandbox.taskDefinitionId, 1);
    const { job, task } = sandbox.simulator.tenant.submitJob({
      printerId: sandbox.simulator.demo!.printers[printer].id,
      userPrincipalName: 'adele@contoso.example',
      document: { displayName: name, size: 100_000 },
    }) as { job: SimJob; task: SimTask };
    const delivery = (receivedAt = new Date().toISOString()) => ({
      version: 1 as const,
      taskDefinitionId: sandbox.taskDefinitionId,
      taskId: task.id,
      printerId: job.printerId,
      jobId: job.id,
      tenantId: sandbox.simulator.tenantId,
      receivedAt,
      correlationId: randomUUID(),
      source: 'notification' as const,
    });
    return { job, task, delivery };
  }
  const acted = (filter: Parameters<Sandbox['simulator']['requests']['find']>[0]) =>
    sandbox.simulator.requests.find(filter).map((r) => r.status);

  beforeAll(async () => {
    sandbox = await startSandbox({ hostPort: 0, log: () => undefined });
    await sandbox.host.stop(); // only this test processes tasks
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it('two deliveries of one task processed at the same time on two instances: one acts, the other waits', async () => {
    const { task, job, delivery } = printUnnoticed('floor1Color');
    const release: Decision = { action: 'release', rule: 'ok' };
    const [first, second] = await Promise.all([
      processTask(delivery(), instance(slowly(release))),
      processTask(delivery(), instance(slowly(release))),
    ]);
    expect([first.status, second.status].sort()).toEqual(['acted', 'waiting']);
    // Counted at Graph: one task update, no refused second try, no fail-safe.
    expect(acted({ taskId: task.id, method: 'PATCH' })).toEqual([200]);
    expect(job.status.state).toBe('completed');
    expect(eventsOf('task.failed-permanently', task.id)).toEqual([]);
    const audit = await instance(slowly(release)).audit.find(delivery().receivedAt, task.id);
    expect(audit).toMatchObject({ outcome: 'released' });

    // The waiting copy comes back later (here: a day later, another journal partition), as the
    // processor queued it (one deferral), and stops at the claim without a Graph call.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    expect(await processTask({ ...delivery(tomorrow), deferrals: 1 }, instance(slowly(release)))).toMatchObject({
      status: 'skipped',
      why: 'already-handled',
      graphCalls: 0,
    });
    expect(acted({ taskId: task.id, method: 'PATCH' })).toEqual([200]);
  });

  it('a job denied by one run is aborted once, and its audit keeps "denied" whatever the duplicates do', async () => {
    const { task, job, delivery } = printUnnoticed('library');
    const deny: Decision = { action: 'deny', rule: 'no', reason: 'Not here.' };
    const runs = await Promise.all([1, 2, 3].map(() => processTask(delivery(), instance(slowly(deny)))));
    expect(runs.filter((r) => r.status === 'acted')).toHaveLength(1);
    expect(acted({ jobId: job.id, method: 'POST', path: '/abort$' })).toEqual([204]);
    expect(acted({ taskId: task.id, method: 'PATCH' })).toEqual([200]);
    // The task's copy that failed every try reaches the poison queue after the job was denied: no fail-safe.
    await handlePoisonedTask(delivery(), instance(slowly(deny)), log);
    expect(acted({ taskId: task.id, method: 'PATCH' })).toEqual([200]);
    const audit = await instance(slowly(deny)).audit.find(delivery().receivedAt, task.id);
    expect(audit).toMatchObject({ outcome: 'denied', action: 'deny' });
    expect(job.status).toMatchObject({ state: 'aborted', description: 'Not here.' });
  });

  it('a run that died holding the claim is taken over once its lease lapses, resuming its decision', async () => {
    const { task, job, delivery } = printUnnoticed('floor1Color');
    const first = delivery();
    // The dead run: it claimed the task and stopped (no renewal, no release).
    const dead = await instance(slowly({ action: 'release', rule: 'ok' })).claims.acquire(
      sandbox.taskDefinitionId,
      task.id,
      first.receivedAt,
    );
    expect(dead.kind).toBe('acquired');
    // While its lease runs, a delivery waits.
    expect(await processTask(delivery(), instance(slowly({ action: 'release', rule: 'ok' })))).toMatchObject({
      status: 'waiting',
    });
    // 61 s later (a later clock), the lease has lapsed: the next delivery takes the task over and acts once.
    const later = () => Date.now() + 61_000;
    const result = await processTask(delivery(), instance(slowly({ action: 'release', rule: 'ok' }), later));
    expect(result).toMatchObject({ status: 'acted', outcome: 'released' });
    expect(eventsOf('task.claim-taken-over', task.id)).toHaveLength(1);
    expect(job.status.state).toBe('completed');
    // The dead run, were it to wake up, has lost the claim: it can neither renew nor finish.
    if (dead.kind !== 'acquired') throw new Error('unreachable');
    expect(await dead.lease.renew()).toBe('lost');
    expect(await dead.lease.finish('released')).toBe('lost');
    // The take-over kept the first run's journal key.
    const claim = await instance(slowly({ action: 'release', rule: 'ok' })).claims.read(
      sandbox.taskDefinitionId,
      task.id,
    );
    expect(claim).toMatchObject({ state: 'done', outcome: 'released', receivedAt: first.receivedAt, takeovers: 1 });
  });

  it("a run that finished the task but died before closing its claim: the take-over records the journal's outcome", async () => {
    const { task, delivery } = printUnnoticed('library');
    const first = delivery();
    const hold: Decision = { action: 'hold', rule: 'hold', expiresInMinutes: 60, onExpiry: 'deny' };
    // It acted and audited (its claim row stands in another table here: the one it never closed).
    const elsewhere = {
      ...instance(slowly(hold)),
      claims: tableTaskClaims(table('otherclaims'), { leaseSeconds: 60 }),
    };
    expect(await processTask(first, elsewhere)).toMatchObject({ outcome: 'held' });
    const dead = await instance(slowly(hold)).claims.acquire(sandbox.taskDefinitionId, task.id, first.receivedAt);
    expect(dead.kind).toBe('acquired');
    const later = () => Date.now() + 61_000;
    expect(await processTask(delivery(), instance(slowly(hold), later))).toMatchObject({
      status: 'skipped',
      why: 'already-handled',
      outcome: 'held',
    });
    expect(await instance(slowly(hold)).claims.read(sandbox.taskDefinitionId, task.id)).toMatchObject({
      state: 'done',
      outcome: 'held',
    });
    expect(acted({ taskId: task.id, method: 'PATCH' })).toEqual([]);
  });
});

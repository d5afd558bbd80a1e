import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { HostLogEntry } from '../../sandbox/host/invocation';
import type { SimJob, SimTask } from '../../sandbox/simulator/model';
import { tableAuditLog } from '../../src/audit/audit-log';
import { EXPIRY_REASON, expireHolds } from '../../src/holds/expire-holds';
import { tableHoldStore } from '../../src/holds/hold-store';
import { createLog } from '../../src/observability/log';
import type { Decision, ReleasePolicy } from '../../src/policy/decision';
import { processTask, type ProcessorDependencies } from '../../src/processor/process-task';
import { storageTaskQueue } from '../../src/queue/task-queue';
import { tableTaskIndex } from '../../src/tasks/task-index';
import { tableTaskClaims } from '../../src/tasks/task-claims';
import { waitFor } from '../support/wait';

/**
 * The processor against the simulator through the sandbox host: one test per decision kind and the
 * failures that need real parts (Graph's retry middleware, the queue's delays, the poison queue).
 * The demo policy (sandbox/demo/demo-policy.ts) makes each decision. The rules themselves (each
 * decision's Graph calls, pull queues, job gone, the fail-safe's choices, deferral limits) are unit
 * tests: test/unit/processor/process-task.test.ts and fail-safe-paths.test.ts.
 */
const fixtures = path.join(__dirname, '..', 'fixtures');

describe('the processor acts on every decision exactly once', () => {
  let sandbox: Sandbox;
  const logs: HostLogEntry[] = [];
  const events = (name: string, taskId?: string) =>
    logs
      .filter((l) => l.message.includes(`"event":"${name}"`) && (!taskId || l.message.includes(taskId)))
      .map((l) => JSON.parse(l.message) as Record<string, unknown>);
  const table = (name: string) =>
    TableClient.fromConnectionString(sandbox.azurite.connectionString, name, { allowInsecureConnection: true });
  const printers = () => sandbox.simulator.demo!.printers;

  function print(
    printer: keyof ReturnType<typeof printers>,
    options: { user?: string; name?: string; size?: number; configuration?: Record<string, unknown> } = {},
  ) {
    return sandbox.simulator.tenant.submitJob({
      printerId: printers()[printer].id,
      userPrincipalName: options.user ?? 'adele@contoso.example',
      configuration: options.configuration,
      document: { displayName: options.name ?? 'Report.pdf', size: options.size ?? 120_000 },
    }) as { job: SimJob; task: SimTask };
  }
  const finished = (task: SimTask) =>
    waitFor(`task ${task.id} to finish`, () => events('task.finished', task.id)[0], 20000);

  beforeAll(async () => {
    sandbox = await startSandbox({
      hostPort: 0,
      log: (e) => logs.push(e),
      hostJson: path.join(fixtures, 'host.sandbox-fast.json'),
      settings: {
        RELEASE_GATE_POLICY_MODULE: path.resolve(__dirname, '../../sandbox/demo/demo-policy.ts'),
        RELEASE_GATE_GRAPH_MAX_RETRY_AFTER_SECONDS: '1',
      },
      simulator: { notifier: { retryBaseMs: 50 } },
    });
  }, 60000);
  afterAll(async () => sandbox?.stop());
  afterEach(() => sandbox.simulator.faults.clear());

  it('release: completes the task and the job prints', async () => {
    const { job, task } = print('floor1Color');
    // The first job on a printer also reads the printer (is it a pull queue?); it is remembered.
    expect(await finished(task)).toMatchObject({ outcome: 'released', rule: 'everything else', graphCalls: 3 });
    expect(job.status.state).toBe('completed');
    const again = print('floor1Color');
    expect(await finished(again.task)).toMatchObject({ outcome: 'released', graphCalls: 2 });
  });

  it('release with changes: PATCHes the configuration, then completes the task', async () => {
    const { job, task } = print('floor1Color', { configuration: { copies: 12 } });
    expect(await finished(task)).toMatchObject({
      outcome: 'released-with-changes',
      rule: 'at most 5 copies',
      graphCalls: 3,
    });
    expect(job.configuration.copies).toBe(5);
    expect(job.status.state).toBe('completed');
  });

  it('redirect: the job moves to the colour printer, Graph completes the task, and the new job is decided too', async () => {
    const { job, task } = print('floor2Mono', { configuration: { colorMode: 'color' } });
    expect(await finished(task)).toMatchObject({ outcome: 'redirected', rule: 'colour jobs go to a colour printer' });
    expect(task.status.state).toBe('completed');
    expect(job.redirectedTo).toContain(printers().floor1Color.id);
    const moved = [...sandbox.simulator.tenant.jobs.get(printers().floor1Color.id)!.values()].find((j) =>
      j.redirectedFrom?.endsWith(`/jobs/${job.id}`),
    )!;
    const movedTask = sandbox.simulator.tenant.tasks.get(moved.taskIds[0]!)!;
    expect(await finished(movedTask)).toMatchObject({ outcome: 'released' });
    expect(moved.status.state).toBe('completed');
  });

  it('deny: aborts the job with the reason the user sees, and closes the task', async () => {
    const { job, task } = print('floor1Color', { name: 'CONFIDENTIAL salaries.xlsx' });
    expect(await finished(task)).toMatchObject({ outcome: 'denied', rule: 'confidential documents' });
    expect(job.status).toMatchObject({
      state: 'aborted',
      description: 'Confidential documents print only on the HR printer.',
    });
    expect(task.status.state).toBe('aborted');
  });

  it('hold: records the hold, leaves the task processing; on expiry applies the expiry action once', async () => {
    const { job, task } = print('hr', { user: 'megan@contoso.example', name: 'Contract.pdf' });
    expect(await finished(task)).toMatchObject({ outcome: 'held' });
    expect(task.status.state).toBe('processing');
    expect(job.status.state).toBe('paused');
    const holds = tableHoldStore(table('releasegateholds'));
    const held = await holds.get('megan@contoso.example', task.id);
    expect(held).toMatchObject({ jobId: job.id, onExpiry: 'deny', documentName: 'Contract.pdf' });

    const deps = {
      api: sandbox.api,
      holds,
      audit: tableAuditLog(table('releasegateaudit')),
      tasks: tableTaskIndex(table('releasegatetasks')),
      log: createLog(console),
    };
    const later = () => new Date(Date.now() + 2 * 3600_000);
    const [first, second] = await Promise.all([
      expireHolds({ ...deps, now: later }),
      expireHolds({ ...deps, now: later }),
    ]);
    expect(first.denied + second.denied).toBe(1); // raced, still once
    // Counted at Graph: one abort and one task update reached it, not two.
    const { requests } = sandbox.simulator;
    expect(requests.count({ jobId: job.id, method: 'POST', path: '/abort$' })).toBe(1);
    expect(requests.count({ taskId: task.id, method: 'PATCH' })).toBe(1);
    expect(job.status.state).toBe('aborted');
    expect(task.status.state).toBe('aborted');
    expect(await holds.get('megan@contoso.example', task.id)).toBeUndefined();
  });

  it('finishes the journaled decision after a crash between two Graph calls', async () => {
    // The task PATCH (second call) dies once: the job configuration was already changed.
    sandbox.simulator.faults.add({
      method: 'PATCH',
      path: '^/print/taskDefinitions/[^/]+/tasks/',
      drop: true,
      times: 1,
    });
    const { job, task } = print('library', { user: 'sam.student@contoso.example' });
    expect(await finished(task)).toMatchObject({
      outcome: 'released-with-changes',
      rule: 'students: two-sided',
    });
    expect(events('task.decided', task.id)).toHaveLength(1); // decided once, resumed from the journal
    // At Graph: the task update was lost once (0: dropped), then made once; the configuration (the same
    // values, so harmless) may be set again on resume.
    const { requests } = sandbox.simulator;
    const updates = requests.find({ taskId: task.id, method: 'PATCH' }).map((r) => r.status);
    expect(updates).toEqual([0, 200]);
    expect(requests.find({ jobId: job.id, method: 'PATCH' }).map((r) => r.status)).toContain(200);
    expect(job.configuration).toMatchObject({ colorMode: 'color', duplexMode: 'flipOnLongEdge' });
    expect(job.status.state).toBe('completed');
  });

  it('rides out a 429 storm: short Retry-After in process, long Retry-After by deferring the task', async () => {
    sandbox.simulator.faults.add({
      method: 'GET',
      path: '^/print/printers/[^/]+/jobs/',
      status: 429,
      retryAfter: 0.2,
      times: 2,
    });
    const first = print('library');
    expect(await finished(first.task)).toMatchObject({ outcome: 'released' });

    sandbox.simulator.faults.add({
      method: 'GET',
      path: '^/print/printers/[^/]+/jobs/',
      status: 429,
      retryAfter: 2,
      times: 1,
    });
    const second = print('library');
    expect(await finished(second.task)).toMatchObject({ outcome: 'released' });
    expect(events('task.deferred', second.task.id)[0]).toMatchObject({ delaySeconds: 2, deferrals: 1 });
  });

  it('parks a task that fails every try in the poison queue, where the fail-safe releases it', async () => {
    sandbox.simulator.faults.add({ method: 'GET', path: '^/print/printers/[^/]+/jobs/', status: 500 });
    const { job, task } = print('library');
    await waitFor('the poison handler', () => events('task.poisoned', task.id)[0], 30000);
    sandbox.simulator.faults.clear();
    await waitFor('the fail-safe release', () => task.status.state === 'completed');
    expect(job.status.state).toBe('completed');
    expect(logs.some((l) => l.level === 'error' && l.message.includes('"event":"task.poisoned"'))).toBe(true);
  }, 40000);
  describe('held jobs on real storage: expiry', () => {
    const captured: Record<string, unknown>[] = [];
    const quietLog = createLog({
      info: (line: string) => void captured.push(JSON.parse(line) as Record<string, unknown>),
      warn: (line: string) => void captured.push(JSON.parse(line) as Record<string, unknown>),
      error: (line: string) => void captured.push(JSON.parse(line) as Record<string, unknown>),
    });
    const deps = (policy: ReleasePolicy, failSafeAction: 'release' | 'deny' = 'release'): ProcessorDependencies => ({
      api: sandbox.api,
      policy,
      audit: tableAuditLog(table('releasegateaudit')),
      holds: tableHoldStore(table('releasegateholds')),
      tasks: tableTaskIndex(table('releasegatetasks')),
      claims: tableTaskClaims(table('releasegatetasks'), { leaseSeconds: 60 }),
      queue: storageTaskQueue(new QueueClient(sandbox.azurite.connectionString, 'direct-tasks')),
      log: quietLog,
      tenantId: sandbox.simulator.tenantId,
      failSafeAction,
      maxRetryAfterSeconds: 1,
    });
    const decides = (decision: Decision): ReleasePolicy => ({ name: 'test', decide: async () => decision });
    /** A job whose notification never reaches the host: this test processes its task itself. */
    function printUnnoticed(printer: keyof ReturnType<typeof printers>, options: Parameters<typeof print>[1] = {}) {
      sandbox.simulator.notifier.dropNext(sandbox.taskDefinitionId, 1);
      const { job, task } = print(printer, options);
      const message = {
        version: 1 as const,
        taskDefinitionId: sandbox.taskDefinitionId,
        taskId: task.id,
        printerId: job.printerId,
        jobId: job.id,
        tenantId: sandbox.simulator.tenantId,
        receivedAt: new Date().toISOString(),
        correlationId: randomUUID(),
        source: 'notification' as const,
      };
      return { job, task, message };
    }

    it('a hold on a pull queue that expires with "release" is aborted: expired before release', async () => {
      const { job, task, message } = printUnnoticed('pullQueue', { user: 'lee.student@contoso.example' });
      const policy = decides({ action: 'hold', rule: 'short hold', expiresInMinutes: 1, onExpiry: 'release' });
      expect(await processTask(message, deps(policy))).toMatchObject({ outcome: 'held' });
      const { holds, audit, tasks } = deps(policy);
      const report = await expireHolds({
        api: sandbox.api,
        holds,
        audit,
        tasks,
        log: quietLog,
        now: () => new Date(Date.now() + 5 * 60_000),
      });
      expect(report.released).toBe(0);
      expect(job.status).toMatchObject({ state: 'aborted', description: EXPIRY_REASON });
      expect(task.status.state).toBe('aborted');
    });

    it('a held job Universal Print deleted ends as hold-vanished at expiry', async () => {
      const { job, task, message } = printUnnoticed('hr', { user: 'megan@contoso.example' });
      const policy = decides({ action: 'hold', rule: 'short hold', expiresInMinutes: 1, onExpiry: 'deny' });
      await processTask(message, deps(policy));
      sandbox.simulator.tenant.deleteJob(job.printerId, job.id); // as Universal Print "eventually" does
      const { holds, audit, tasks } = deps(policy);
      const report = await expireHolds({
        api: sandbox.api,
        holds,
        audit,
        tasks,
        log: quietLog,
        now: () => new Date(Date.now() + 5 * 60_000),
      });
      expect(report.vanished).toBeGreaterThanOrEqual(1);
      expect(await audit.find(message.receivedAt, task.id)).toMatchObject({ outcome: 'hold-vanished' });
      expect(task.status.state).toBe('aborted'); // our task is closed all the same
    });
  });
});

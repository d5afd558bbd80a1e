import { execFile } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { SimJob, SimTask } from '../../sandbox/simulator/model';
import { tableAuditLog } from '../../src/audit/audit-log';
import { expireHolds } from '../../src/holds/expire-holds';
import { CLAIM_LEASE_MINUTES, tableHoldStore } from '../../src/holds/hold-store';
import { createLog } from '../../src/observability/log';
import { processTask } from '../../src/processor/process-task';
import { storageTaskQueue } from '../../src/queue/task-queue';
import { tableTaskClaims } from '../../src/tasks/task-claims';
import { tableTaskIndex } from '../../src/tasks/task-index';

/**
 * A process killed between claiming a hold and acting on it must not lose the hold: the job would
 * stay paused, its task processing, until Universal Print deletes it. A later expiry run finds the
 * dead claim and holds the job again; its expiry then happens once.
 */
const fixtures = path.join(__dirname, '..', 'fixtures');
const quiet = createLog({ info: () => undefined, warn: () => undefined, error: () => undefined });

describe('a hold claimed by a process that then dies is recovered', () => {
  let sandbox: Sandbox;
  const table = (name: string) =>
    TableClient.fromConnectionString(sandbox.azurite.connectionString, name, { allowInsecureConnection: true });

  beforeAll(async () => {
    sandbox = await startSandbox({
      hostPort: 0,
      log: () => undefined,
      hostJson: path.join(fixtures, 'host.sandbox-fast.json'),
    });
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it('killed after the claim: the next expiry run holds the job again, and its expiry then ends it once', async () => {
    const owner = 'megan@contoso.example';
    sandbox.simulator.notifier.dropNext(sandbox.taskDefinitionId, 1);
    const { job, task } = sandbox.simulator.tenant.submitJob({
      printerId: sandbox.simulator.demo!.printers.hr.id,
      userPrincipalName: owner,
      document: { displayName: 'Contract.pdf', size: 1000 },
    }) as { job: SimJob; task: SimTask };
    const holds = tableHoldStore(table('releasegateholds'));
    const deps = {
      api: sandbox.api,
      holds,
      audit: tableAuditLog(table('releasegateaudit')),
      tasks: tableTaskIndex(table('releasegatetasks')),
      claims: tableTaskClaims(table('releasegatetasks'), { leaseSeconds: 60 }),
      log: quiet,
    };
    const held = await processTask(
      {
        version: 1,
        taskDefinitionId: sandbox.taskDefinitionId,
        taskId: task.id,
        printerId: job.printerId,
        jobId: job.id,
        tenantId: sandbox.simulator.tenantId,
        receivedAt: new Date().toISOString(),
        correlationId: randomUUID(),
        source: 'notification',
      },
      {
        ...deps,
        policy: {
          name: 'hold',
          decide: async () => ({ action: 'hold', rule: 'hold', expiresInMinutes: 60, onExpiry: 'deny' }),
        },
        queue: storageTaskQueue(new QueueClient(sandbox.azurite.connectionString, 'direct-tasks')),
        tenantId: sandbox.simulator.tenantId,
        failSafeAction: 'deny',
        maxRetryAfterSeconds: 1,
      },
    );
    expect(held).toMatchObject({ outcome: 'held' });

    // An expiry run two hours on claims the (expired) hold and is killed before its first Graph call.
    const inTwoHours = new Date(Date.now() + 2 * 3600_000);
    const death = await new Promise<NodeJS.Signals | null>((resolve) =>
      execFile(
        process.execPath,
        [
          '--require',
          'tsx/cjs',
          path.join(fixtures, 'processes', 'claim-then-die.ts'),
          sandbox.azurite.connectionString,
          'releasegateholds',
          inTwoHours.toISOString(),
        ],
        (error) => resolve((error as { signal?: NodeJS.Signals } | null)?.signal ?? null),
      ),
    );
    expect(death).toBe('SIGKILL');
    expect(await holds.get(owner, task.id)).toBeUndefined(); // claimed, never acted on, never put back
    expect(job.status.state).toBe('paused');

    // Within the claim's lease nothing is recovered: the claimant might still be at work.
    expect(await expireHolds({ ...deps, now: () => new Date() })).toMatchObject({ recovered: 0 });
    // After it, a run before the hold's own expiry holds the job again: its owner sees and can release it.
    const afterLease = new Date(Date.now() + (CLAIM_LEASE_MINUTES + 1) * 60_000);
    expect(await expireHolds({ ...deps, now: () => afterLease })).toMatchObject({ recovered: 1, expired: 0 });
    expect(await holds.listByOwner(owner)).toEqual([expect.objectContaining({ taskId: task.id, jobId: job.id })]);
    expect(task.status.state).toBe('processing');

    // The hold's expiry then ends the job once.
    expect(await expireHolds({ ...deps, now: () => inTwoHours })).toMatchObject({ recovered: 0, denied: 1 });
    expect(job.status.state).toBe('aborted');
    expect(task.status.state).toBe('aborted');
    expect(sandbox.simulator.requests.count({ jobId: job.id, method: 'POST', path: '/abort$' })).toBe(1);
    expect(await expireHolds({ ...deps, now: () => new Date(inTwoHours.getTime() + 3600_000) })).toMatchObject({
      recovered: 0,
      denied: 0,
    });
  }, 60000);
});

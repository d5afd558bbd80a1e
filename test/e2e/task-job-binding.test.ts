import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { HostLogEntry } from '../../sandbox/host/invocation';
import type { SimJob, SimTask } from '../../sandbox/simulator/model';
import { tableAuditLog } from '../../src/audit/audit-log';
import { tableHoldStore } from '../../src/holds/hold-store';
import { mismatchAuditKey } from '../../src/processor/task-job-binding';
import { deliverToSandbox } from '../support/notification-fixtures';
import { waitFor } from '../support/wait';

/**
 * A notification that pairs a task with another job (the clientState is right: it leaked, or a
 * tenant admin forged it) must not make the processor decide on one job and act on the other's task.
 */
const fixtures = path.join(__dirname, '..', 'fixtures');

describe('the processor acts only on a task that belongs to the notified job', () => {
  let sandbox: Sandbox;
  const logs: HostLogEntry[] = [];
  const events = (name: string, taskId: string) =>
    logs
      .filter((l) => l.message.includes(`"event":"${name}"`) && l.message.includes(taskId))
      .map((l) => JSON.parse(l.message) as Record<string, unknown>);
  const table = (name: string) =>
    TableClient.fromConnectionString(sandbox.azurite.connectionString, name, { allowInsecureConnection: true });
  const printers = () => sandbox.simulator.demo!.printers;

  /** A job whose own notification Graph never sends: the test sends the one it wants. */
  function printUnnoticed(printer: keyof ReturnType<typeof printers>, user: string, name: string) {
    sandbox.simulator.notifier.dropNext(sandbox.taskDefinitionId, 1);
    return sandbox.simulator.tenant.submitJob({
      printerId: printers()[printer].id,
      userPrincipalName: user,
      document: { displayName: name, size: 50_000 },
    }) as { job: SimJob; task: SimTask };
  }

  /** A notification with the subscription's real clientState, naming `task` and the job in `parentUrl`. */
  async function notify(task: SimTask, parentUrl: string) {
    expect(await deliverToSandbox(sandbox, task.id, { parentUrl })).toBe(202);
  }

  /** The processor's last word on a task: refused, finished, or closed as gone. */
  const handled = (taskId: string) =>
    waitFor(
      `task ${taskId} to be handled`,
      () => ['task.job-mismatch', 'task.finished', 'job.gone'].flatMap((name) => events(name, taskId))[0],
      20000,
    );

  beforeAll(async () => {
    sandbox = await startSandbox({
      hostPort: 0,
      log: (e) => logs.push(e),
      hostJson: path.join(fixtures, 'host.sandbox-fast.json'),
      settings: { RELEASE_GATE_POLICY_MODULE: path.resolve(__dirname, '../../sandbox/demo/demo-policy.ts') },
    });
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it("a held job's task paired with a job the policy releases: refused, audited apart, neither job touched", async () => {
    const held = printUnnoticed('hr', 'megan@contoso.example', 'Contract.pdf'); // the policy holds it
    const harmless = printUnnoticed('library', 'adele@contoso.example', 'Menu.pdf'); // the policy releases it
    const tenant = sandbox.simulator.tenant;
    const before = { held: held.job.status.state, harmless: harmless.job.status.state };

    await notify(held.task, tenant.jobUrl(harmless.job.printerId, harmless.job.id));
    await handled(held.task.id);
    // Nothing reached Graph for either job beyond reads.
    const { requests } = sandbox.simulator;
    const writes = (filter: { taskId?: string; jobId?: string }) =>
      requests.find(filter).filter((r) => r.method !== 'GET');
    expect(writes({ taskId: held.task.id })).toEqual([]);
    expect(writes({ jobId: held.job.id })).toEqual([]);
    expect(writes({ jobId: harmless.job.id })).toEqual([]);
    expect(writes({ taskId: harmless.task.id })).toEqual([]);
    expect(held.task.status.state).toBe('processing');
    expect(harmless.task.status.state).toBe('processing');
    expect({ held: held.job.status.state, harmless: harmless.job.status.state }).toEqual(before);
    expect(events('task.decided', held.task.id)).toHaveLength(0);
    const refusalLine = logs.find((l) => l.message.includes('"event":"task.job-mismatch"'));
    expect(refusalLine?.level).toBe('error'); // an admin is told
    expect(events('task.job-mismatch', held.task.id)[0]).toMatchObject({
      namedJobId: harmless.job.id,
      taskJobId: held.job.id,
    });

    // The refusal has its own audit row; the task's journal row stays free for its genuine notification.
    const audit = tableAuditLog(table('releasegateaudit'));
    const receivedAt = new Date().toISOString();
    expect(await audit.find(receivedAt, mismatchAuditKey(held.task.id))).toMatchObject({
      outcome: 'refused-job-mismatch',
      jobId: harmless.job.id,
      detail: expect.stringContaining(`job ${held.job.id}`),
    });
    expect(await audit.find(receivedAt, held.task.id)).toBeUndefined();

    await notify(held.task, tenant.jobUrl(held.job.printerId, held.job.id));
    expect(
      await waitFor('the genuine notification', () => events('task.finished', held.task.id)[0], 20000),
    ).toMatchObject({ outcome: 'held', rule: 'confidential printer: hold' });
    expect(await tableHoldStore(table('releasegateholds')).get('megan@contoso.example', held.task.id)).toBeDefined();
    expect(held.task.status.state).toBe('processing');
  });
});

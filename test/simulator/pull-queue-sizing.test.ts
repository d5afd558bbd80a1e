import { randomUUID } from 'node:crypto';
import { seedDemoTenant } from '../../sandbox/simulator/demo-tenant';
import { GraphHttpError } from '../../sandbox/simulator/errors';
import type { SimJob, SimPrinter } from '../../sandbox/simulator/model';
import { Tenant } from '../../sandbox/simulator/tenant';

/**
 * The README's pull-queue sizing rule against Universal Print's limits (the simulator's `limits`
 * option): pull queues ≥ the larger of (peak jobs per 10 minutes ÷ 80) and (jobs held at once ÷ 40),
 * users spread evenly over the queues, and at most 4 jobs of one user waiting on one queue.
 */
const queuesNeeded = (jobsPer10Minutes: number, heldAtOnce: number) =>
  Math.ceil(Math.max(jobsPer10Minutes / 80, heldAtOnce / 40));

describe('pull-queue sizing under Universal Print limits', () => {
  let clock: number;
  let tenant: Tenant;
  let appId: string;

  beforeEach(() => {
    clock = Date.parse('2026-12-01T09:00:00Z');
    tenant = new Tenant(
      () => 'https://sim.example/v1.0',
      { taskCreated: () => undefined },
      {},
      {
        limits: true,
        now: () => new Date(clock),
      },
    );
    const demo = seedDemoTenant(tenant);
    appId = demo.app.clientId;
  });

  function addPrinter(name: string, hasPhysicalDevice: boolean): SimPrinter {
    const printer: SimPrinter = {
      id: randomUUID(),
      displayName: name,
      location: {},
      hasPhysicalDevice,
      isShared: true,
      isAcceptingJobs: true,
    };
    tenant.printers.set(printer.id, printer);
    return printer;
  }
  /** Pull queues with Release Gate's trigger: every job on them is held (paused, its task processing). */
  function pullQueues(count: number): SimPrinter[] {
    const definition = tenant.createDefinition('Release Gate', tenant.apps.get(appId)!);
    return Array.from({ length: count }, (_, i) => {
      const queue = addPrinter(`Pull ${i + 1}`, false);
      tenant.createTrigger(queue.id, definition.id, appId);
      return queue;
    });
  }
  function users(count: number): string[] {
    return Array.from({ length: count }, (_, i) => {
      const upn = `user${i}@contoso.example`;
      const id = randomUUID();
      tenant.users.set(id, {
        id,
        userPrincipalName: upn,
        displayName: upn,
        groups: [],
        attributes: {},
        roles: [],
      });
      return upn;
    });
  }
  /** Each user prints `perUser` jobs to their own queue (users split evenly); returns the refusals. */
  function printAll(upns: string[], queues: SimPrinter[], perUser: number, after?: (job: SimJob) => void): number {
    let refused = 0;
    for (let round = 0; round < perUser; round++)
      upns.forEach((upn, i) => {
        clock += 1000; // spread over the window: 1 s apart
        try {
          const { job } = tenant.submitJob({ printerId: queues[i % queues.length]!.id, userPrincipalName: upn });
          after?.(job);
        } catch (error) {
          if (!(error instanceof GraphHttpError) || error.status !== 429) throw error;
          refused++;
        }
      });
    return refused;
  }

  it('jobs held at peak: one shared queue runs out of concurrent slots; the number the rule gives suffices', () => {
    // 60 users, 2 jobs each, all still held at the peak: 120 jobs in 10 minutes, 120 held at once.
    const staff = users(60);
    expect(queuesNeeded(120, 120)).toBe(3);
    const [shared] = pullQueues(1);
    expect(printAll(staff, [shared!], 2)).toBe(70); // 50 concurrent jobs per printer, then 429

    tenant.jobs.clear();
    expect(printAll(staff, pullQueues(3), 2)).toBe(0);
  });

  it('throughput at peak: released quickly, but one queue takes only 100 jobs per 10 minutes', () => {
    // 120 users, 2 jobs each in 10 minutes, each released (redirected) at once: few held, 240 jobs.
    const staff = users(120);
    expect(queuesNeeded(240, 10)).toBe(3);
    const printers = [1, 2, 3, 4].map((n) => addPrinter(`Printer ${n}`, true)); // each takes its share
    let next = 0;
    const release = (job: SimJob) => {
      const task = job.taskIds.map((id) => tenant.tasks.get(id)!)[0]!;
      tenant.redirectJob(job.printerId, job.id, printers[next++ % printers.length]!.id, undefined, appId);
      expect(task.status.state).toBe('completed');
    };
    clock -= 1000;
    const [shared] = pullQueues(1);
    expect(printAll(staff, [shared!], 2, release)).toBe(140); // 100 per 10 minutes per printer

    tenant.jobs.clear();
    clock += 10 * 60_000;
    expect(printAll(staff, pullQueues(3), 2, release)).toBe(0);
  });

  it('a user with a fifth job waiting on one queue is refused, whatever the number of queues', () => {
    const [alone] = users(1);
    const queues = pullQueues(4);
    expect(printAll([alone!], [queues[0]!], 5)).toBe(1); // 4 concurrent jobs per user on a printer
    expect(printAll([alone!], [queues[1]!], 1)).toBe(0); // another queue has its own 4
  });

  it('jobs completed in place on a pull queue never leave it: they keep its slots until Universal Print deletes them', () => {
    const staff = users(13);
    const [queue] = pullQueues(1);
    const complete = (job: SimJob) => {
      const task = tenant.tasks.get(job.taskIds[0]!)!;
      tenant.updateTask(task.definitionId, task.id, 'completed', undefined);
      expect(job.status.state).toBe('pending'); // unprinted, not final
    };
    expect(printAll(staff, [queue!], 4, complete)).toBe(2); // 52 tries, 50 slots
  });
});

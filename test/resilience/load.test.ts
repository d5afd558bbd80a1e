import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { SimJob } from '../../sandbox/simulator/model';
import { waitFor } from '../support/wait';

/**
 * A sustained burst through the whole sandbox (simulator → webhook → queue → processor → Graph):
 * every job is accounted for at the end. RELEASE_GATE_FULL_RESILIENCE=1 sends 1,500.
 */
const JOBS = process.env.RELEASE_GATE_FULL_RESILIENCE ? 1500 : 100;

describe('load: a sustained burst of print jobs', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ hostPort: 0, log: () => undefined });
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it(`prints all ${JOBS} jobs, each released once`, async () => {
    const { tenant, demo } = sandbox.simulator;
    const printers = Object.values(demo!.printers).filter((p) => p.hasPhysicalDevice);
    const jobs: SimJob[] = [];
    const started = Date.now();
    for (let i = 0; i < JOBS; i++) {
      jobs.push(
        tenant.submitJob({ printerId: printers[i % printers.length]!.id, userPrincipalName: 'adele@contoso.example' })
          .job,
      );
      if (i % 25 === 24) await new Promise((r) => setTimeout(r, 20)); // a burst over time, not one batch
    }
    await waitFor('every job to print', () => jobs.every((j) => j.status.state === 'completed'), 120_000);
    const seconds = (Date.now() - started) / 1000;
    const tasks = jobs.flatMap((j) => j.taskIds.map((id) => tenant.tasks.get(id)!));
    expect(tasks).toHaveLength(JOBS);
    expect(tasks.every((t) => t.status.state === 'completed')).toBe(true);
    // Counted at Graph: each task was updated exactly once. A redelivered or duplicated message stops at
    // the task's claim (or waits for it) instead of trying again.
    const { requests } = sandbox.simulator;
    expect(requests.evicted).toBe(0);
    const updates = tasks.map((t) => requests.find({ taskId: t.id, method: 'PATCH' }).map((r) => r.status));
    expect(updates.filter((statuses) => statuses.length !== 1 || statuses[0] !== 200)).toEqual([]);
    expect(sandbox.simulator.notifier.stats.abandoned).toBe(0);
    console.log(`load: ${JOBS} jobs released in ${seconds.toFixed(1)} s (${(JOBS / seconds).toFixed(1)} jobs/s)`);
  }, 150_000);
});

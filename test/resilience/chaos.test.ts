import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { SCENARIOS } from '../../sandbox/demo/run-demo';
import type { SimJob, SimTask } from '../../sandbox/simulator/model';
import type { RequestFilter } from '../../sandbox/simulator/request-log';
import { waitFor } from '../support/wait';

/**
 * Chaos in the sandbox: Graph answers 429 and 503 at random and adds latency while many jobs are
 * printed, and the worker process is killed (SIGKILL) mid-run and replaced. Every job must end in
 * the state the policy decides, exactly once. RELEASE_GATE_FULL_RESILIENCE=1 runs 240.
 */
const root = path.resolve(__dirname, '../..');
const JOBS = process.env.RELEASE_GATE_FULL_RESILIENCE ? 240 : 10;

describe('chaos: random Graph faults and a killed worker', () => {
  let sandbox: Sandbox;
  let worker: ChildProcess | undefined;
  let output = '';

  function startWorker(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/host/child-host.ts'], {
      cwd: root,
      env: {
        ...process.env,
        SANDBOX_HOST_SETTINGS: JSON.stringify(sandbox.settings),
        SANDBOX_HOST_KEYS: JSON.stringify(sandbox.host.keys),
        SANDBOX_HOST_PORT: new URL(sandbox.settings.RELEASE_GATE_NOTIFICATION_URL!).port,
        SANDBOX_HOST_JSON: path.join(root, 'test', 'fixtures', 'host.sandbox-fast.json'),
        SANDBOX_PROCESSING_VISIBILITY_SECONDS: '3',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker = child;
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const before = output.length;
    return waitFor('the worker to start', () => output.slice(before).includes('"url"'), 30000).then(() => undefined);
  }

  beforeAll(async () => {
    sandbox = await startSandbox({
      hostPort: 0,
      log: () => undefined,
      settings: {
        RELEASE_GATE_POLICY_MODULE: path.join(root, 'sandbox', 'demo', 'demo-policy.ts'),
        // A killed worker's tasks are taken over once their claims' leases lapse: short here.
        RELEASE_GATE_TASK_LEASE_SECONDS: '5',
      },
    });
    // Hand the work to a separate worker process that can be killed; the subscription stays.
    await sandbox.host.stop();
    await startWorker();
  }, 90000);
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await sandbox?.stop();
  });

  it('every job ends as decided, exactly once', async () => {
    const { simulator } = sandbox;
    simulator.faults.add({ path: '^/print/', status: 429, retryAfter: 0.1, probability: 0.15 });
    simulator.faults.add({ path: '^/print/', status: 503, retryAfter: 0.2, probability: 0.1 });
    simulator.faults.add({ path: '^/print/', latencyMs: 40, probability: 0.3 });

    const submitted: { scenario: (typeof SCENARIOS)[number]; job: SimJob; task: SimTask }[] = [];
    for (let i = 0; i < JOBS; i++) {
      const scenario = SCENARIOS[i % SCENARIOS.length]!;
      const { job, task } = simulator.tenant.submitJob({
        printerId: simulator.demo!.printers[scenario.printer].id,
        userPrincipalName: scenario.user,
        configuration: scenario.configuration,
        document: scenario.document ?? { displayName: `${scenario.title}.pdf`, size: 150_000 },
      });
      submitted.push({ scenario, job, task: task! });
      if (i === Math.floor(JOBS / 2)) {
        // Kill the worker mid-run, with tasks in flight, and start a new one.
        await waitFor('some tasks in flight', () => output.includes('task.decided'), 20000);
        worker!.kill('SIGKILL');
        await new Promise((r) => worker!.once('exit', r));
        await startWorker();
      }
    }

    const finalJob = (job: SimJob): SimJob => {
      if (!job.redirectedTo) return job;
      const [, printerId, jobId] = /printers\/([^/]+)\/jobs\/([^/]+)$/.exec(job.redirectedTo)!;
      return finalJob(simulator.tenant.job(printerId!, jobId!));
    };
    const done = () =>
      submitted.every(
        ({ scenario, job, task }) =>
          finalJob(job).status.state === scenario.expect.job && task.status.state === scenario.expect.task,
      );
    await waitFor('every job to reach its end state', done, 90000);
    simulator.faults.clear();

    // Exactly once: no job was redirected twice (two copies printed), no task ended twice.
    const allJobs = [...simulator.tenant.jobs.values()].flatMap((m) => [...m.values()]);
    for (const { job } of submitted) {
      const copies = allJobs.filter((j) => j.redirectedFrom === simulator.tenant.jobUrl(job.printerId, job.id));
      expect(copies.length).toBeLessThanOrEqual(1);
    }
    // Counted at Graph: no job was redirected or aborted twice and no task updated twice with success
    // (injected faults answer before Graph acts); a held job was not acted on at all.
    const { requests } = simulator;
    expect(requests.evicted).toBe(0);
    const succeeded = (filter: RequestFilter) =>
      requests.find(filter).filter((r) => r.status >= 200 && r.status < 300).length;
    for (const { scenario, job, task } of submitted) {
      const acted = {
        redirects: succeeded({ jobId: job.id, method: 'POST', path: '/redirect$' }),
        aborts: succeeded({ jobId: job.id, method: 'POST', path: '/abort$' }),
        taskUpdates: succeeded({ taskId: task.id, method: 'PATCH' }),
      };
      if (scenario.expect.action === 'hold') expect(acted).toEqual({ redirects: 0, aborts: 0, taskUpdates: 0 });
      else expect(Math.max(acted.redirects, acted.aborts, acted.taskUpdates)).toBeLessThanOrEqual(1);
    }
    expect(submitted.filter(({ task }) => task.status.state === 'processing').length).toBe(
      submitted.filter(({ scenario }) => scenario.expect.action === 'hold').length,
    );
    expect(output).toContain('task.finished');
  }, 150000);
});

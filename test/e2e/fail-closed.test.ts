import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { HostLogEntry } from '../../sandbox/host/invocation';
import { DEMO_PRINTER_IDS } from '../../sandbox/demo/demo-printers';
import type { SimJob, SimTask } from '../../sandbox/simulator/model';
import { FAIL_SAFE_REASONS } from '../../src/processor/fail-safe';
import { waitFor } from '../support/wait';

/**
 * Fail closed, end to end: the office example policy holds jobs on the HR printer. Whatever goes
 * wrong while it decides (the policy not read yet, Graph throttling a look-up, a group look-up
 * without its permission, a task that fails every try), a job there is never printed unchecked.
 * The fail-safe action is `release` (the default) throughout: only its per-printer choice protects.
 */
const fixtures = path.join(__dirname, '..', 'fixtures');
const office = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../policies/examples/office/policy.json'), 'utf8'),
) as { rules: unknown[] };
const MANAGERS = '6c8a2f0e-0000-4000-8000-00000000a001'; // the demo tenant's staff group

describe('fail closed: no error or throttle prints a job the policy meant to hold', () => {
  let sandbox: Sandbox;
  const logs: HostLogEntry[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-fail-closed-'));
  const policyFile = path.join(dir, 'policy.json'); // written by the first test: not there at start
  const events = (name: string, taskId?: string) =>
    logs
      .filter((l) => l.message.includes(`"event":"${name}"`) && (!taskId || l.message.includes(taskId)))
      .map((l) => JSON.parse(l.message) as Record<string, unknown>);
  const finished = (task: SimTask) =>
    waitFor(`task ${task.id} to finish`, () => events('task.finished', task.id)[0], 20000);
  const print = (printer: keyof typeof DEMO_PRINTER_IDS, user = 'adele@contoso.example') =>
    sandbox.simulator.tenant.submitJob({
      printerId: DEMO_PRINTER_IDS[printer],
      userPrincipalName: user,
      document: { displayName: 'Offer letter.pdf', size: 120_000 },
    }) as { job: SimJob; task: SimTask };

  /** Tests after the first need the policy there, also when run on their own (jest -t). */
  const ensurePolicy = () => existsSync(policyFile) || writeFileSync(policyFile, JSON.stringify(office));

  beforeAll(async () => {
    sandbox = await startSandbox({
      hostPort: 0,
      log: (e) => logs.push(e),
      hostJson: path.join(fixtures, 'host.sandbox-fast.json'),
      settings: {
        RELEASE_GATE_POLICY_FILE: policyFile,
        RELEASE_GATE_POLICY_RELOAD_SECONDS: '1',
        RELEASE_GATE_GRAPH_MAX_RETRY_AFTER_SECONDS: '1',
        RELEASE_GATE_FAIL_SAFE_ACTION: 'release',
        RELEASE_GATE_FAIL_SAFE_PRINTERS: JSON.stringify({ [DEMO_PRINTER_IDS.floor1Color]: 'deny' }),
      },
      simulator: { notifier: { retryBaseMs: 50 } },
    });
  }, 60000);
  afterAll(async () => {
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => sandbox.simulator.faults.clear());

  it('a policy not loaded yet: the task is retried, not decided, and held once the policy is there', async () => {
    const { job, task } = print('hr');
    await waitFor('a retry for want of a policy', () => events('policy.unavailable', task.id)[0]);
    expect(events('task.decided', task.id)).toHaveLength(0);
    expect(task.status.state).toBe('processing');
    expect(job.status.state).not.toBe('completed');

    writeFileSync(policyFile, JSON.stringify(office));
    expect(await finished(task)).toMatchObject({ outcome: 'held', rule: 'confidential printers hold jobs' });
    expect(task.status.state).toBe('processing');
    expect(job.status.state).not.toBe('completed');
  }, 30000);

  it('Graph throttles the printer look-up: the task is deferred by Retry-After, never printed, then held', async () => {
    ensurePolicy();
    // As in production, the processor already knows the printer's kind (not a pull queue): only the policy reads it.
    await finished(print('hr').task);
    const printerRead = `^/print/printers/${DEMO_PRINTER_IDS.hr}$`;
    sandbox.simulator.faults.add({ method: 'GET', path: printerRead, status: 429, retryAfter: 2, times: 1 });
    const { job, task } = print('hr');
    const deferred = await waitFor('the deferral', () => events('task.deferred', task.id)[0]);
    expect(deferred).toMatchObject({ delaySeconds: 2, status: 429 });
    // The look-up did not wait Retry-After out in-process (longer than the policy may take): one 429, no retry.
    expect(sandbox.simulator.requests.find({ method: 'GET', path: printerRead }).map((r) => r.status)).toContain(429);
    expect(events('task.decided', task.id)).toHaveLength(0);
    expect(job.status.state).not.toBe('completed');

    expect(await finished(task)).toMatchObject({ outcome: 'held', rule: 'confidential printers hold jobs' });
    expect(job.status.state).not.toBe('completed');
  }, 30000);

  it('a printer look-up slower than the policy time limit: retried, not decided, then held', async () => {
    ensurePolicy();
    const printerRead = `^/print/printers/${DEMO_PRINTER_IDS.hr}$`;
    // Longer than RELEASE_GATE_POLICY_TIMEOUT_MS (2 s by default): the policy gives up on it.
    sandbox.simulator.faults.add({ method: 'GET', path: printerRead, latencyMs: 3000, times: 1 });
    const { job, task } = print('hr');
    const unavailable = await waitFor('the retry', () => events('policy.unavailable', task.id)[0]);
    expect(unavailable.detail).toContain('did not finish within');
    expect(events('task.decided', task.id)).toHaveLength(0);
    expect(job.status.state).not.toBe('completed');
    expect(await finished(task)).toMatchObject({ outcome: 'held', rule: 'confidential printers hold jobs' });
  }, 30000);

  it('a group look-up refused (403, no GroupMember.Read.All) is permanent: the fail-safe denies on the HR printer', async () => {
    // Managers' jobs on HR printers print directly: a rule the policy can only check with the groups permission.
    const managers = {
      name: 'managers print on HR printers directly',
      when: { groups: { include: [MANAGERS] }, printers: { names: ['HR *'] } },
      then: { release: {} },
    };
    const loadedBefore = events('policy.loaded').length;
    writeFileSync(policyFile, JSON.stringify({ ...office, rules: [managers, ...office.rules] }));
    // The policy file is checked when a decision needs the policy (at most once a second): decide a few jobs.
    await waitFor(
      'the new policy',
      async () => {
        await finished(print('library').task);
        return events('policy.loaded').length > loadedBefore;
      },
      15000,
    );
    sandbox.simulator.faults.add({ method: 'POST', path: '/checkMemberGroups$', status: 403 });

    const { job, task } = print('hr');
    const failed = await waitFor('the policy failure', () => events('policy.failed', task.id)[0]);
    expect(failed).toMatchObject({ kind: 'forbidden', printerId: DEMO_PRINTER_IDS.hr });
    expect(failed.hint).toContain('GroupMember.Read.All');
    expect(await finished(task)).toMatchObject({ outcome: 'denied', rule: 'fail-safe: policy error' });
    expect(job.status).toMatchObject({ state: 'aborted', description: FAIL_SAFE_REASONS.policyError });
    expect(task.status.state).toBe('aborted');
  }, 30000);
});

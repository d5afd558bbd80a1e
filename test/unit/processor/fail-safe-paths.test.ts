import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseFailSafePrinters } from '../../../src/config/fail-safe-printers';
import { loadPolicyFromSettings } from '../../../src/policy/load-policy';
import { FAIL_SAFE_REASONS } from '../../../src/processor/fail-safe';
import { handlePoisonedTask } from '../../../src/processor/handle-poisoned-task';
import { processTask } from '../../../src/processor/process-task';
import { graphError } from '../../support/fake-print-api';
import { always, PRINTERS, processorHarness } from '../../support/processor-harness';

/** The fail-safe's choices on the processor's paths: never a release the policy did not mean. */
const HR = '5a0c0b60-0000-4000-8000-00000000f004';
const officeJson = readFileSync(path.resolve(__dirname, '../../../policies/examples/office/policy.json'), 'utf8');

function withHrPrinter(options: Parameters<typeof processorHarness>[0] = {}) {
  const h = processorHarness(options);
  h.api.addPrinter({ id: HR, displayName: 'HR Floor 4', hasPhysicalDevice: true });
  return h;
}

describe('the fail-safe after a permanent failure', () => {
  it('RELEASE_GATE_FAIL_SAFE_ACTION deny: the job is aborted with the fail-safe reason, then the task closed', async () => {
    const h = processorHarness();
    h.deps.failSafeAction = 'deny';
    const { job, task, message } = h.print();
    h.api.fail('setTaskState', graphError(403));
    expect(await processTask(message(), h.deps)).toMatchObject({
      outcome: 'failed-safe',
      decision: { action: 'deny' },
    });
    expect(job.status).toEqual({ state: 'aborted', description: FAIL_SAFE_REASONS.denied });
    expect(task.state).toBe('aborted');
    expect(await h.deps.tasks.get(task.definitionId, task.id)).toMatchObject({ outcome: 'failed-safe' });
  });

  it('a policy that fails on a pull-queue job: the fail-safe release becomes a hold, never completed in place', async () => {
    const h = processorHarness({ policy: always(() => Promise.reject(new Error('boom'))) });
    const { job, task, message } = h.print('pullQueue');
    expect(await processTask(message(), h.deps)).toMatchObject({
      outcome: 'held',
      decision: { action: 'hold', rule: 'fail-safe: policy error' },
    });
    expect(h.api.actions()).toEqual([]);
    expect(job.status.state).toBe('paused');
    expect(task.state).toBe('processing');
  });
});

describe('the poison queue: a task that failed every try', () => {
  const parsed = parseFailSafePrinters(JSON.stringify({ [PRINTERS.colour]: 'deny' }));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));

  it('denies on a printer the policy holds jobs on and on a printer set to deny; releases elsewhere', async () => {
    const h = withHrPrinter();
    Object.assign(h.deps, {
      policy: loadPolicyFromSettings({ RELEASE_GATE_POLICY_JSON: officeJson }),
      failSafePrinters: parsed.printers,
    });
    const office = h.print('office');
    const colour = h.print('colour');
    const hr = h.api.submitJob(HR);
    const hrMessage = { ...office.message(), taskId: hr.task.id, printerId: HR, jobId: hr.job.id };
    for (const message of [office.message(), colour.message(), hrMessage])
      await handlePoisonedTask(message, h.deps, h.deps.log);
    expect(office.task.state).toBe('completed'); // nothing names the office printer: RELEASE_GATE_FAIL_SAFE_ACTION
    expect(colour.job.status).toEqual({ state: 'aborted', description: FAIL_SAFE_REASONS.denied });
    expect(hr.job.status).toEqual({ state: 'aborted', description: FAIL_SAFE_REASONS.denied });
    const why = h.eventsNamed('task.failed-safe').map((e) => [e.printerId, e.action, e.why]);
    expect(why).toEqual([
      [PRINTERS.office, 'release', 'RELEASE_GATE_FAIL_SAFE_ACTION'],
      [PRINTERS.colour, 'deny', expect.stringContaining('RELEASE_GATE_FAIL_SAFE_PRINTERS')],
      [HR, 'deny', expect.stringContaining('confidential printers hold jobs')],
    ]);
    expect(h.eventsNamed('task.poisoned')).toHaveLength(3);
  });

  it('denies a pull-queue job (aborted, with a reason) instead of completing it in place', async () => {
    const h = processorHarness();
    const { job, task, message } = h.print('pullQueue');
    await handlePoisonedTask(message(), h.deps, h.deps.log);
    expect(job.status).toEqual({ state: 'aborted', description: FAIL_SAFE_REASONS.pullQueue });
    expect(task.state).toBe('aborted');
  });

  it("a message naming another job: the fail-safe acts on the task's own job, never the named one", async () => {
    const h = processorHarness();
    const own = h.print('pullQueue');
    const victim = h.print('office');
    await handlePoisonedTask(
      { ...own.message(), printerId: victim.job.printerId, jobId: victim.job.id },
      h.deps,
      h.deps.log,
    );
    expect(own.job.status).toEqual({ state: 'aborted', description: FAIL_SAFE_REASONS.pullQueue });
    expect(victim.job.status.state).toBe('paused');
    expect(h.api.calls.filter((c) => c.args.includes(victim.job.id) && c.method !== 'getJob')).toEqual([]);
  });

  it('a task another run finished is left alone; an unreadable message is only reported', async () => {
    const h = processorHarness({ policy: always({ action: 'deny', rule: 'no', reason: 'Not here.' }) });
    const { job, message } = h.print();
    const delivery = message();
    await processTask(delivery, h.deps);
    h.api.calls.length = 0;
    await handlePoisonedTask(delivery, h.deps, h.deps.log);
    expect(h.api.calls).toEqual([]);
    expect(job.status.description).toBe('Not here.');
    await handlePoisonedTask({ nonsense: true }, h.deps, h.deps.log);
    expect(h.eventsNamed('task.poisoned').at(-1)).toMatchObject({ readable: false });
  });
});

import {
  processTask,
  PULL_QUEUE_HOLD_MINUTES,
  PULL_QUEUE_REASONS,
  RetryableProcessingError,
} from '../../../src/processor/process-task';
import { MAX_DEFERRAL_SECONDS, PERMISSION_HINT } from '../../../src/processor/handle-failure';
import { FAIL_SAFE_REASONS } from '../../../src/processor/fail-safe';
import { mismatchAuditKey } from '../../../src/processor/task-job-binding';
import { PolicyUnavailableError, TimeLimitError } from '../../../src/policy/evaluation-errors';
import type { Decision } from '../../../src/policy/decision';
import { graphError } from '../../support/fake-print-api';
import { always, PRINTERS, processorHarness } from '../../support/processor-harness';

/** Each decision, failure and repeat of one task, against a fake print API and in-memory stores. */
describe('processTask: each decision becomes the Graph calls it means', () => {
  it('release: completes the task (two Graph calls), journals, records and indexes the outcome', async () => {
    const h = processorHarness();
    // The first release on a printer reads its kind (a pull queue prints nothing); it is remembered.
    expect(await processTask(h.print().message(), h.deps)).toMatchObject({ outcome: 'released', graphCalls: 3 });
    h.api.calls.length = 0;
    const { job, task, message } = h.print();
    const delivery = message();
    expect(await processTask(delivery, h.deps)).toMatchObject({ status: 'acted', outcome: 'released', graphCalls: 2 });
    expect(h.api.actions()).toEqual(['setTaskState:completed']);
    expect(h.api.calls.map((c) => c.method)).toEqual(['getJob', 'setTaskState']);
    expect(task.state).toBe('completed');
    expect(h.api.jobs.get(`${job.printerId}/${job.id}`)?.status.state).toBe('completed');
    expect(await h.deps.audit.find(delivery.receivedAt, task.id)).toMatchObject({
      outcome: 'released',
      action: 'release',
      rule: 'ok',
      jobId: job.id,
      printerId: PRINTERS.office,
      // Named from the printer read for the first release (remembered): reports name printers, not ids.
      printerName: 'Office',
      userPrincipalName: 'adele@contoso.example',
      documentName: 'Report.pdf',
      graphCalls: 2,
    });
    expect(await h.deps.tasks.get(task.definitionId, task.id)).toMatchObject({ status: 'done', outcome: 'released' });
    expect(await h.deps.claims.read(task.definitionId, task.id)).toMatchObject({ state: 'done', outcome: 'released' });
  });

  it('release with changes: updates the configuration, then completes the task', async () => {
    const changes = { colorMode: 'grayscale', duplexMode: 'flipOnLongEdge' } as const;
    const h = processorHarness({ policy: always({ action: 'release-with-changes', rule: 'mono', changes }) });
    const { job, message } = h.print();
    expect(await processTask(message(), h.deps)).toMatchObject({ outcome: 'released-with-changes' });
    expect(h.api.actions()).toEqual(['updateJobConfiguration', 'setTaskState:completed']);
    expect(h.api.callsOf('updateJobConfiguration')[0]).toEqual([PRINTERS.office, job.id, changes]);
    expect(job.configuration).toMatchObject(changes);
  });

  it('redirect: redirects the job, confirms Graph completed the task, and leaves it alone', async () => {
    const redirect: Decision = { action: 'redirect', rule: 'colour', printerId: PRINTERS.colour };
    const h = processorHarness({ policy: always(redirect) });
    const { task, message } = h.print();
    expect(await processTask(message(), h.deps)).toMatchObject({ outcome: 'redirected', graphCalls: 3 });
    expect(h.api.actions()).toEqual(['redirectJob']);
    expect(task.state).toBe('completed');
    expect(h.eventsNamed('job.redirected')[0]).toMatchObject({ toPrinterId: PRINTERS.colour });
  });

  it('deny: aborts the job with the reason its owner sees, then closes the task', async () => {
    const h = processorHarness({ policy: always({ action: 'deny', rule: 'no', reason: 'Not here.' }) });
    const { job, task, message } = h.print();
    expect(await processTask(message(), h.deps)).toMatchObject({ outcome: 'denied' });
    expect(h.api.actions()).toEqual(['abortJob', 'setTaskState:aborted']);
    expect(job.status).toEqual({ state: 'aborted', description: 'Not here.' });
    expect(task.state).toBe('aborted');
  });

  it('hold: records the hold for the owner and leaves the task processing', async () => {
    const hold: Decision = { action: 'hold', rule: 'pull', expiresInMinutes: 60, onExpiry: 'deny' };
    const h = processorHarness({ policy: always(hold) });
    const { task, message } = h.print();
    const delivery = message();
    expect(await processTask(delivery, h.deps)).toMatchObject({ outcome: 'held', graphCalls: 1 });
    expect(h.api.actions()).toEqual([]);
    expect(task.state).toBe('processing');
    const held = await h.deps.holds.get('adele@contoso.example', task.id);
    expect(held).toMatchObject({ onExpiry: 'deny', rule: 'pull', documentName: 'Report.pdf', copies: 1 });
    expect(Date.parse(held!.expiresAt) - Date.parse(held!.heldAt)).toBe(60 * 60_000);
    expect(await h.deps.tasks.get(task.definitionId, task.id)).toMatchObject({ status: 'held' });

    // The same task delivered again while held: the claim says held, nothing more happens.
    expect(await processTask({ ...message(), deferrals: 1 }, h.deps)).toMatchObject({
      status: 'skipped',
      why: 'already-handled',
      graphCalls: 0,
    });
  });

  it('hold: keeps the colour, sides and paper the job was sent with, for the release page', async () => {
    const hold: Decision = { action: 'hold', rule: 'pull', expiresInMinutes: 60, onExpiry: 'deny' };
    const h = processorHarness({ policy: always(hold) });
    const { task, message } = h.print('office', {
      configuration: { copies: 2, colorMode: 'grayscale', duplexMode: 'flipOnLongEdge', mediaSize: 'A4' },
    });
    await processTask(message(), h.deps);
    expect(await h.deps.holds.get('adele@contoso.example', task.id)).toMatchObject({
      copies: 2,
      colorMode: 'grayscale',
      duplexMode: 'flipOnLongEdge',
      mediaSize: 'A4',
    });
  });

  it('a hold for a job without an owner is an error: retried (and, poisoned, failed safe), never released', async () => {
    const hold: Decision = { action: 'hold', rule: 'pull', expiresInMinutes: 60, onExpiry: 'release' };
    const h = processorHarness({ policy: always(hold) });
    const { message } = h.print('office', { owner: null });
    await expect(processTask(message(), h.deps)).rejects.toThrow(RetryableProcessingError);
    expect(h.api.actions()).toEqual([]); // a plain Error is transient: retried, never a decision
  });
});

describe('processTask: a pull queue prints nothing when its task is completed', () => {
  it('a release there becomes a hold for the owner, 24 hours, denied on expiry', async () => {
    const h = processorHarness();
    const { task, message } = h.print('pullQueue');
    expect(await processTask(message(), h.deps)).toMatchObject({
      outcome: 'held',
      decision: {
        action: 'hold',
        expiresInMinutes: PULL_QUEUE_HOLD_MINUTES,
        onExpiry: 'deny',
        reason: PULL_QUEUE_REASONS.held,
      },
    });
    expect(h.api.actions()).toEqual([]);
    expect(await h.deps.holds.get('adele@contoso.example', task.id)).toBeDefined();
  });

  it('a release with changes keeps the changes for the release at a printer', async () => {
    const changes = { colorMode: 'grayscale' } as const;
    const h = processorHarness({ policy: always({ action: 'release-with-changes', rule: 'mono', changes }) });
    const { task, message } = h.print('pullQueue');
    await processTask(message(), h.deps);
    expect(await h.deps.holds.get('adele@contoso.example', task.id)).toMatchObject({ releaseConfiguration: changes });
  });

  it('a job without an owner is denied (aborted with the reason), never completed in place', async () => {
    const h = processorHarness();
    const { job, message } = h.print('pullQueue', { owner: null });
    expect(await processTask(message(), h.deps)).toMatchObject({ outcome: 'denied' });
    expect(h.api.actions()).toEqual(['abortJob', 'setTaskState:aborted']);
    expect(job.status.description).toBe(PULL_QUEUE_REASONS.noOwner);
  });

  it('a printer read that fails transiently is retried, never turned into a decision', async () => {
    const h = processorHarness();
    const { message } = h.print('pullQueue');
    h.api.fail('getPrinter', graphError(503));
    await expect(processTask(message(), h.deps)).rejects.toThrow(RetryableProcessingError);
    expect(h.api.actions()).toEqual([]);
  });
});

describe('processTask: failures, by kind', () => {
  it('Graph throttling longer than we wait: the task is deferred by Retry-After, up to maxDeferrals', async () => {
    const h = processorHarness();
    const { message } = h.print();
    h.api.fail('getJob', graphError(429, { retryAfter: '30' }));
    expect(await processTask(message(), h.deps)).toMatchObject({ status: 'deferred', delaySeconds: 30 });
    expect(h.deps.queue.sent).toEqual([{ message: expect.objectContaining({ deferrals: 1 }), delaySeconds: 30 }]);
    expect(h.eventsNamed('task.deferred')[0]).toMatchObject({ delaySeconds: 30, deferrals: 1, status: 429 });

    // The deferred copy comes back: the claim was given back, so it runs and releases.
    expect(await processTask(h.deps.queue.sent[0]!.message, h.deps)).toMatchObject({ outcome: 'released' });
  });

  it('a Retry-After longer than an hour defers the task an hour (the queue takes at most 7 days)', async () => {
    const h = processorHarness();
    const { message } = h.print();
    h.api.fail('getJob', graphError(429, { retryAfter: String(30 * 86400) }));
    expect(await processTask(message(), h.deps)).toMatchObject({
      status: 'deferred',
      delaySeconds: MAX_DEFERRAL_SECONDS,
    });
    expect(h.deps.queue.sent[0]).toMatchObject({ delaySeconds: MAX_DEFERRAL_SECONDS });
  });

  it('at maxDeferrals, or with a Retry-After short enough to wait out, the queue retries instead', async () => {
    const h = processorHarness();
    h.deps.maxDeferrals = 2;
    const { message } = h.print();
    h.api.fail('getJob', graphError(503, { retryAfter: '30' }));
    await expect(processTask(message({ deferrals: 2 }), h.deps)).rejects.toThrow('Graph throttled (503)');
    h.api.fail('getJob', graphError(429, { retryAfter: '5' })); // not longer than maxRetryAfterSeconds
    await expect(processTask(message({ deferrals: 1 }), h.deps)).rejects.toThrow(RetryableProcessingError);
    h.api.fail('getJob', graphError(429)); // no Retry-After at all
    await expect(processTask(message({ deferrals: 1 }), h.deps)).rejects.toThrow(RetryableProcessingError);
    expect(h.deps.queue.sent).toEqual([]);
    expect(h.api.actions()).toEqual([]);
  });

  it('a network error or a Graph 5xx is retried by the queue, never a decision', async () => {
    const h = processorHarness();
    const { task, message } = h.print();
    h.api.fail('setTaskState', new Error('socket hang up'));
    await expect(processTask(message(), h.deps)).rejects.toThrow(RetryableProcessingError);
    h.api.fail('setTaskState', graphError(500));
    await expect(processTask(message({ deferrals: 1 }), h.deps)).rejects.toThrow(RetryableProcessingError);
    expect(h.eventsNamed('task.failed-safe')).toEqual([]);
    // The next try resumes the journaled decision: decided once.
    expect(await processTask(message({ deferrals: 1 }), h.deps)).toMatchObject({ outcome: 'released' });
    expect(h.eventsNamed('task.decided')).toHaveLength(1);
    expect(task.state).toBe('completed');
  });

  it('the job is gone: the task is closed and recorded job-gone', async () => {
    const h = processorHarness();
    const { job, task, message } = h.print();
    h.api.jobs.delete(`${job.printerId}/${job.id}`);
    const delivery = message();
    expect(await processTask(delivery, h.deps)).toMatchObject({ status: 'job-gone' });
    expect(h.api.actions()).toEqual(['setTaskState:aborted']);
    expect(await h.deps.audit.find(delivery.receivedAt, task.id)).toMatchObject({ outcome: 'job-gone' });
    expect(await h.deps.tasks.get(task.definitionId, task.id)).toMatchObject({ status: 'done', outcome: 'job-gone' });
  });

  it('a 403 while acting: the fail-safe, and the admin is told which permissions', async () => {
    const h = processorHarness({ policy: always({ action: 'redirect', rule: 'colour', printerId: PRINTERS.colour }) });
    const { task, message } = h.print();
    h.api.fail('redirectJob', graphError(403));
    expect(await processTask(message(), h.deps)).toMatchObject({ outcome: 'failed-safe' });
    expect(h.eventsNamed('task.failed-permanently')[0]).toMatchObject({ kind: 'forbidden', hint: PERMISSION_HINT });
    // The policy meant the job to print (elsewhere): the fail-safe (release) lets it print here.
    expect(task.state).toBe('completed');
  });

  it('the fail-safe never releases a job the policy meant to deny', async () => {
    const h = processorHarness({ policy: always({ action: 'deny', rule: 'no', reason: 'Not here.' }) });
    const { job, task, message } = h.print();
    h.api.fail('abortJob', graphError(403));
    expect(await processTask(message(), h.deps)).toMatchObject({
      outcome: 'failed-safe',
      decision: { action: 'deny' },
    });
    expect(h.api.actions()).toEqual(['abortJob', 'abortJob', 'setTaskState:aborted']);
    expect(job.status.state).toBe('aborted');
    expect(task.state).toBe('aborted');
  });

  it('a policy that fails for good gets the fail-safe now; one that fails for now is retried', async () => {
    const broken = processorHarness({ policy: always(() => Promise.reject(new Error('bug in the policy'))) });
    const first = broken.print();
    expect(await processTask(first.message(), broken.deps)).toMatchObject({
      outcome: 'released',
      decision: { action: 'release', rule: 'fail-safe: policy error' },
    });
    expect(broken.eventsNamed('policy.failed')[0]).toMatchObject({ kind: 'policy' });

    broken.deps.failSafeAction = 'deny';
    const second = broken.print();
    expect(await processTask(second.message(), broken.deps)).toMatchObject({
      outcome: 'denied',
      decision: { action: 'deny', reason: FAIL_SAFE_REASONS.policyError },
    });

    for (const transient of [new TimeLimitError('too slow'), new PolicyUnavailableError('not loaded yet', true)]) {
      const later = processorHarness({ policy: always(() => Promise.reject(transient)) });
      const { task, message } = later.print();
      const delivery = message();
      await expect(processTask(delivery, later.deps)).rejects.toThrow(RetryableProcessingError);
      expect(later.api.actions()).toEqual([]);
      expect(await later.deps.audit.find(delivery.receivedAt, task.id)).toBeUndefined(); // nothing journaled
      expect(later.eventsNamed('policy.unavailable')).toHaveLength(1);
    }
  });

  it('a look-up throttled while the policy still decided is retried, not acted on', async () => {
    const policy = always(async () => ({ action: 'release', rule: 'ok' }));
    const h = processorHarness({
      policy: {
        name: 'absorbs',
        decide: async (context) => {
          await context.printer().catch(() => undefined); // a plug-in's fail mode swallowing the error
          return policy.decide(context);
        },
      },
    });
    const { message } = h.print();
    h.api.fail('getPrinter', graphError(429, { retryAfter: '1' }));
    await expect(processTask(message(), h.deps)).rejects.toThrow(RetryableProcessingError);
    expect(h.api.actions()).toEqual([]);
  });
});

describe('processTask: exactly once', () => {
  it('the task is no longer processing: left alone', async () => {
    const h = processorHarness();
    const { task, message } = h.print();
    task.state = 'aborted';
    expect(await processTask(message(), h.deps)).toMatchObject({ status: 'skipped', why: 'task-not-processing' });
    expect(h.api.actions()).toEqual([]);
    // Without the job in the message, the task itself is read first.
    expect(
      await processTask(message({ printerId: undefined, jobId: undefined }), processorHarness({ api: h.api }).deps),
    ).toMatchObject({
      status: 'skipped',
      why: 'task-not-processing',
      graphCalls: 1,
    });
  });

  it('already handled: a duplicate stops at the claim (a first delivery has made its one early read)', async () => {
    const h = processorHarness();
    const { message } = h.print();
    await processTask(message(), h.deps);
    expect(await processTask(message(), h.deps)).toEqual({ status: 'skipped', why: 'already-handled', graphCalls: 1 });
    expect(await processTask(message({ deferrals: 1 }), h.deps)).toEqual({
      status: 'skipped',
      why: 'already-handled',
      graphCalls: 0,
    });
    expect(h.api.actions()).toEqual(['setTaskState:completed']);
    expect(h.eventsNamed('task.decided')).toHaveLength(1);
  });

  it('a task an earlier run ended before its answer came back: recorded from the journal, not decided again', async () => {
    const h = processorHarness();
    const { task, message } = h.print();
    const delivery = message();
    h.api.fail('setTaskState', new Error('connection reset')); // the run dies after journaling
    await expect(processTask(delivery, h.deps)).rejects.toThrow(RetryableProcessingError);
    task.state = 'completed'; // ...though Graph had done it
    expect(await processTask({ ...delivery, deferrals: 1 }, h.deps)).toMatchObject({
      status: 'acted',
      outcome: 'released',
    });
    expect(await h.deps.audit.find(delivery.receivedAt, task.id)).toMatchObject({
      outcome: 'released',
      detail: expect.stringContaining('already ended (completed)'),
    });
    expect(h.eventsNamed('task.decided')).toHaveLength(1);
  });

  it('Graph refusing the action because the task ended meanwhile is "already done", not a failure', async () => {
    const h = processorHarness();
    const { task, message } = h.print();
    h.deps.policy = always(async () => {
      task.state = 'aborted'; // someone else ended it while the policy decided
      return { action: 'release', rule: 'ok' };
    });
    expect(await processTask(message(), h.deps)).toMatchObject({ status: 'acted', outcome: 'already-done' });
    expect(h.eventsNamed('task.already-ended')[0]).toMatchObject({ state: 'aborted' });
    expect(h.eventsNamed('task.failed-safe')).toEqual([]);
  });

  it('another run holds the claim: this copy goes back on the queue and acts on nothing', async () => {
    jest.useFakeTimers();
    try {
      const h = processorHarness();
      const { task, message } = h.print();
      await h.deps.claims.acquire(task.definitionId, task.id, message().receivedAt); // a live run elsewhere
      jest.advanceTimersByTime(10_000);
      expect(await processTask(message(), h.deps)).toMatchObject({ status: 'waiting', delaySeconds: 20 });
      expect(h.deps.queue.sent[0]).toMatchObject({ message: { deferrals: 1 }, delaySeconds: 20 });
      expect(h.api.actions()).toEqual([]);

      // That run dies: once its lease lapses the next copy takes over and finishes the task.
      jest.advanceTimersByTime(60_000);
      expect(await processTask(h.deps.queue.sent[0]!.message, h.deps)).toMatchObject({ outcome: 'released' });
      expect(await h.deps.claims.read(task.definitionId, task.id)).toMatchObject({ takeovers: 1, state: 'done' });
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('processTask: the read made while the claim is taken', () => {
  it("a run taking over reads the job again (the early read may predate the dead run's actions)", async () => {
    jest.useFakeTimers();
    try {
      const h = processorHarness();
      await processTask(h.print().message(), h.deps); // the printer's kind is known from here on
      const { task, message } = h.print();
      await h.deps.claims.acquire(task.definitionId, task.id, message().receivedAt); // a run that died
      jest.advanceTimersByTime(61_000);
      h.api.calls.length = 0;
      expect(await processTask(message(), h.deps)).toMatchObject({ outcome: 'released', graphCalls: 3 });
      expect(h.api.calls.map((c) => c.method)).toEqual(['getJob', 'getJob', 'setTaskState']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a reconciler message or a copy that comes back reads nothing before its claim', async () => {
    const h = processorHarness();
    const { message } = h.print();
    await processTask(message(), h.deps);
    h.api.calls.length = 0;
    await processTask(message({ source: 'reconciler' }), h.deps);
    await processTask(message({ deferrals: 3 }), h.deps);
    expect(h.api.calls).toEqual([]);
  });
});

describe('processTask: a task paired with another job (task-job-binding.ts)', () => {
  it('refused: neither job touched, an admin told, audited apart; the genuine notification still runs', async () => {
    const h = processorHarness({
      policy: always({ action: 'hold', rule: 'hr', expiresInMinutes: 60, onExpiry: 'deny' }),
    });
    const held = h.print();
    const harmless = h.print('colour');
    const forged = held.message({ printerId: harmless.job.printerId, jobId: harmless.job.id });
    expect(await processTask(forged, h.deps)).toMatchObject({ status: 'skipped', why: 'job-mismatch' });
    expect(h.api.actions()).toEqual([]);
    expect(h.eventsNamed('task.decided')).toEqual([]);
    expect(h.eventsNamed('task.job-mismatch')[0]).toMatchObject({
      namedJobId: harmless.job.id,
      taskJobId: held.job.id,
    });
    expect(await h.deps.audit.find(forged.receivedAt, mismatchAuditKey(held.task.id))).toMatchObject({
      outcome: 'refused-job-mismatch',
      jobId: harmless.job.id,
    });
    expect(await h.deps.audit.find(forged.receivedAt, held.task.id)).toBeUndefined();

    expect(await processTask(held.message(), h.deps)).toMatchObject({ outcome: 'held' });
    expect(await h.deps.holds.get('adele@contoso.example', held.task.id)).toBeDefined();
  });

  it('paired with a job that does not exist: refused, not closed as "job gone"', async () => {
    const h = processorHarness();
    const { task, message } = h.print();
    expect(await processTask(message({ jobId: '999999' }), h.deps)).toMatchObject({ why: 'job-mismatch' });
    expect(h.api.actions()).toEqual([]);
    expect(task.state).toBe('processing');
    expect(h.eventsNamed('job.gone')).toEqual([]);
  });
});

import type { PrintApi } from '../../../src/graph/print-api';
import { expireHolds } from '../../../src/holds/expire-holds';
import type { Decision, PolicyContext, ReleasePolicy } from '../../../src/policy/decision';
import { inShadowMode } from '../../../src/policy/shadow-mode';
import { loadPolicyFromSettings } from '../../../src/policy/load-policy';
import { MAX_QUOTA_ATTEMPTS } from '../../../src/processor/decide';
import {
  processTask,
  RetryableProcessingError,
  type ProcessorApi,
  type ProcessorDependencies,
} from '../../../src/processor/process-task';
import { memoryUsageStore } from '../../../src/quota/memory-usage-store';
import type { QuotaDefinition, UsageStore } from '../../../src/quota/quota-model';
import { deleteHeldJobs, releaseHeldJobs } from '../../../src/release/release-held-jobs';
import { graphError } from '../../support/fake-print-api';
import { PRINTERS, processorHarness } from '../../support/processor-harness';

/**
 * Quotas in the processor and the release paths, with the memory usage store: a job is charged
 * what really prints, exactly once, whatever is retried, redelivered or raced.
 */
const OWNER_ID = '0e000000-0000-4000-8000-0000000000a1'; // the fake print API's default owner
const OWNER = { id: OWNER_ID, userPrincipalName: 'adele@contoso.example' };

const monthly = (name: string, measure: QuotaDefinition['measure'], limit: number): QuotaDefinition => ({
  name,
  measure,
  limit,
  period: { every: 'month' },
});

/** A code policy with quotas: `decide` asks where the owner stands. */
function quotaPolicy(definitions: QuotaDefinition[], decide: (context: PolicyContext) => Promise<Decision>) {
  return { name: 'quota test', quotas: { definitions, timeZone: 'UTC' }, decide } satisfies ReleasePolicy;
}

/** Deny a job that would take its owner over the `jobs` quota, saying where they stand. */
const jobsLimit = (limit: number) =>
  quotaPolicy([monthly('jobs', 'jobs', limit)], async (context) => {
    const jobs = await context.quota('jobs');
    if (jobs?.wouldExceed)
      return {
        action: 'deny',
        rule: 'jobs quota',
        reason: `You have used ${jobs.used} of ${jobs.limit} jobs ${jobs.period.label}`,
      };
    return { action: 'release', rule: 'ok' };
  });

function harness(policy: ReleasePolicy, store: UsageStore = memoryUsageStore()) {
  const h = processorHarness({ policy });
  const deps: typeof h.deps & Pick<ProcessorDependencies<ProcessorApi>, 'usageStore' | 'countPages'> = {
    ...h.deps,
    usageStore: store,
  };
  const usage = async () =>
    Object.fromEntries(
      (await store.list({ userKey: OWNER_ID })).map((c) => [c.quota, { confirmed: c.confirmed, reserved: c.reserved }]),
    );
  return { ...h, deps, store, usage };
}

describe('quotas in the processor: decided from standings, charged for what prints', () => {
  it('denies at the limit with the reason filled in, and charges the denied job nothing', async () => {
    const h = harness(jobsLimit(1));
    expect(await processTask(h.print().message(), h.deps)).toMatchObject({ outcome: 'released' });
    expect(await h.usage()).toEqual({ jobs: { confirmed: 1, reserved: 0 } });
    const { job, message } = h.print();
    const delivery = message();
    expect(await processTask(delivery, h.deps)).toMatchObject({ outcome: 'denied' });
    expect(job.status.description).toBe('You have used 1 of 1 jobs this month');
    expect(await h.usage()).toEqual({ jobs: { confirmed: 1, reserved: 0 } });
    const record = await h.deps.audit.find(delivery.receivedAt, delivery.taskId);
    expect(record).not.toHaveProperty('quotaCharges');
    // Replay sees where the owner stood when the job was decided.
    expect(record?.policyContext?.quotas).toEqual({
      jobs: expect.objectContaining({ used: 1, limit: 1, reached: true, wouldExceed: true }),
    });
  });

  it('forces grayscale at the colour limit: the job prints black and white and charges no colour', async () => {
    const policy = quotaPolicy([monthly('colour', 'colorCopies', 2), monthly('jobs', 'jobs', 10)], async (context) => {
      const colour = await context.quota('colour');
      return colour?.wouldExceed
        ? { action: 'release-with-changes', rule: 'colour quota', changes: { colorMode: 'grayscale' } }
        : { action: 'release', rule: 'ok' };
    });
    const h = harness(policy);
    const colourJob = { configuration: { copies: 2, colorMode: 'color' as const } };
    expect(await processTask(h.print('office', colourJob).message(), h.deps)).toMatchObject({ outcome: 'released' });
    const { job, message } = h.print('office', colourJob);
    const delivery = message();
    expect(await processTask(delivery, h.deps)).toMatchObject({ outcome: 'released-with-changes' });
    expect(job.configuration).toMatchObject({ colorMode: 'grayscale' });
    expect(await h.usage()).toEqual({ colour: { confirmed: 2, reserved: 0 }, jobs: { confirmed: 2, reserved: 0 } });
    const record = await h.deps.audit.find(delivery.receivedAt, delivery.taskId);
    expect(record?.quotaCharges).toEqual({
      userKey: OWNER_ID,
      jobKey: `${PRINTERS.office}/${job.id}`,
      items: [expect.objectContaining({ quota: 'jobs', amount: 1 })],
    });
  });

  it('two jobs of one user racing for the last job of the quota: one is decided over the limit', async () => {
    const store = memoryUsageStore();
    let gate: Promise<void> | undefined;
    let open: () => void = () => undefined;
    let readers = 0;
    // Both decisions read the standings (0 of 1 used) before either reserves.
    const racing: UsageStore = {
      ...store,
      async read(...args) {
        const counters = await store.read(...args);
        if (++readers <= 2) {
          gate ??= new Promise<void>((resolve) => (open = resolve));
          if (readers === 2) open();
          await gate;
        }
        return counters;
      },
    };
    const h = harness(jobsLimit(1), racing);
    const results = await Promise.all([
      processTask(h.print().message(), h.deps),
      processTask(h.print().message(), h.deps),
    ]);
    expect(results.map((r) => ('outcome' in r ? r.outcome : r.status)).sort()).toEqual(['denied', 'released']);
    expect(await h.usage()).toEqual({ jobs: { confirmed: 1, reserved: 0 } });
    expect(h.eventsNamed('quota.reserve-refused')).toHaveLength(1);
  });

  it('a job Release Gate redirected is decided again where it lands, keeping its original charge: counted once', async () => {
    const policy = quotaPolicy([monthly('jobs', 'jobs', 1)], async (context) => {
      const jobs = await context.quota('jobs');
      if (jobs?.wouldExceed) return { action: 'deny', rule: 'jobs quota', reason: 'over' };
      return context.job.printerId === PRINTERS.office
        ? { action: 'redirect', rule: 'to colour', printerId: PRINTERS.colour }
        : { action: 'release', rule: 'ok' };
    });
    const h = harness(policy);
    const original = h.print('office');
    expect(await processTask(original.message(), h.deps)).toMatchObject({ outcome: 'redirected' });
    // Where it lands, our trigger starts a task for the new job, which names the job it came from.
    const landed = h.print('colour');
    landed.job.redirectedFrom = `https://graph.microsoft.com/v1.0/print/printers/${PRINTERS.office}/jobs/${original.job.id}`;
    expect(await processTask(landed.message(), h.deps)).toMatchObject({ outcome: 'released' });
    expect(await h.usage()).toEqual({ jobs: { confirmed: 1, reserved: 0 } });
  });

  it('a store that keeps refusing (the room keeps going) is retried later, never decided', async () => {
    const store = memoryUsageStore();
    const refusing: UsageStore = {
      ...store,
      reserve: async () => ({ ok: false, quota: 'jobs', periodKey: '2026-12', used: 1, limit: 1 }),
    };
    const h = harness(jobsLimit(5), refusing);
    await expect(processTask(h.print().message(), h.deps)).rejects.toThrow(RetryableProcessingError);
    expect(h.api.actions()).toEqual([]);
    expect(h.eventsNamed('quota.reserve-refused')).toHaveLength(MAX_QUOTA_ATTEMPTS);
    expect(h.deps.audit.records.size).toBe(0);
  });

  it('redelivered after the reserve (the journal write failed): decided again, not against itself; counted once', async () => {
    const h = harness(jobsLimit(1));
    const write = h.deps.audit.write.bind(h.deps.audit);
    let failures = 1;
    h.deps.audit.write = async (record) => {
      if (record.outcome === 'pending' && failures-- > 0) throw new Error('storage is down');
      return write(record);
    };
    const { message } = h.print();
    const delivery = message();
    await expect(processTask(delivery, h.deps)).rejects.toThrow(RetryableProcessingError);
    expect(await h.usage()).toEqual({ jobs: { confirmed: 0, reserved: 1 } });
    expect(await processTask(delivery, h.deps)).toMatchObject({ outcome: 'released' });
    expect(await h.usage()).toEqual({ jobs: { confirmed: 1, reserved: 0 } });
  });

  it('redelivered after the act (settling failed): the journal is settled, counted once; after finish: nothing more', async () => {
    const store = memoryUsageStore();
    let failures = 1;
    const flaky: UsageStore = {
      ...store,
      async confirm(...args) {
        if (failures-- > 0) throw new Error('storage is down');
        return store.confirm(...args);
      },
    };
    const h = harness(jobsLimit(1), flaky);
    const { task, message } = h.print();
    const delivery = message();
    await expect(processTask(delivery, h.deps)).rejects.toThrow(RetryableProcessingError);
    expect(task.state).toBe('completed'); // it printed; its charge is still reserved
    expect(await h.usage()).toEqual({ jobs: { confirmed: 0, reserved: 1 } });
    expect(await processTask(delivery, h.deps)).toMatchObject({ outcome: 'released' });
    expect(await h.usage()).toEqual({ jobs: { confirmed: 1, reserved: 0 } });
    expect(await processTask(delivery, h.deps)).toMatchObject({ status: 'skipped', why: 'already-handled' });
    expect(await h.usage()).toEqual({ jobs: { confirmed: 1, reserved: 0 } });
  });

  it('the fail-safe settles the journaled charge: its release confirms it; a job gone cancels it', async () => {
    const h = harness(jobsLimit(5));
    h.api.fail('setTaskState', graphError(403));
    expect(await processTask(h.print().message(), h.deps)).toMatchObject({ outcome: 'failed-safe' });
    expect(await h.usage()).toEqual({ jobs: { confirmed: 1, reserved: 0 } });

    h.api.fail('setTaskState', graphError(404));
    h.api.fail('getTask', graphError(404));
    expect(await processTask(h.print().message(), h.deps)).toMatchObject({ status: 'job-gone' });
    expect(await h.usage()).toEqual({ jobs: { confirmed: 1, reserved: 0 } });
  });

  it('a storage failure reading the standings is retried (thrown), never decided', async () => {
    const store = memoryUsageStore();
    const down: UsageStore = {
      ...store,
      read: async () => {
        throw new Error('storage is down');
      },
    };
    const h = harness(jobsLimit(1), down);
    await expect(processTask(h.print().message(), h.deps)).rejects.toThrow(RetryableProcessingError);
    expect(h.api.actions()).toEqual([]);
    expect(h.deps.audit.records.size).toBe(0);
    expect(h.eventsNamed('policy.unavailable')).toHaveLength(1);
  });

  it('a policy with quotas but no usage store fails closed: nothing prints uncounted', async () => {
    const h = processorHarness({ policy: jobsLimit(1) });
    await expect(processTask(h.print().message(), h.deps)).rejects.toThrow(RetryableProcessingError);
    expect(h.api.actions()).toEqual([]);
  });

  it('counts pages only when page counting is on and a quota counts pages; unknown pages are one per copy', async () => {
    const policy = quotaPolicy([monthly('colour-pages', 'colorPages', 100)], async (context) => {
      await context.quota('colour-pages');
      return { action: 'release', rule: 'ok' };
    });
    const h = harness(policy);
    const counted: string[] = [];
    const colourJob = { configuration: { copies: 2, colorMode: 'color' as const } };
    h.deps.countPages = async (job) => {
      counted.push(job.id);
      return counted.length === 1 ? { count: 5, from: 'document' as const } : { unknown: 'not a PDF' };
    };
    await processTask(h.print('office', colourJob).message(), h.deps);
    expect(await h.usage()).toEqual({ 'colour-pages': { confirmed: 10, reserved: 0 } });
    await processTask(h.print('office', colourJob).message(), h.deps);
    expect(await h.usage()).toEqual({ 'colour-pages': { confirmed: 12, reserved: 0 } });
    expect(h.eventsNamed('quota.pages-unknown')).toMatchObject([{ why: 'not a PDF' }]);

    const jobsOnly = harness(jobsLimit(5));
    jobsOnly.deps.countPages = async () => {
      throw new Error('no download for a quota that does not count pages');
    };
    expect(await processTask(jobsOnly.print().message(), jobsOnly.deps)).toMatchObject({ outcome: 'released' });
    expect(counted).toHaveLength(2);
  });

  it('a policy file not loaded yet is loaded to know its quotas before pages are counted', async () => {
    const json = JSON.stringify({
      name: 'pages',
      quotas: [monthly('pages', 'pages', 50)],
      rules: [],
      default: { release: {} },
    });
    const h = harness(loadPolicyFromSettings({ RELEASE_GATE_POLICY_JSON: json }));
    h.deps.countPages = async () => ({ count: 7, from: 'document' });
    expect(h.deps.policy.quotas).toBeUndefined();
    await processTask(h.print().message(), h.deps);
    expect(await h.usage()).toEqual({ pages: { confirmed: 7, reserved: 0 } });
  });

  it('shadow mode acts on no decision of the policy: it charges nothing', async () => {
    const strict = jobsLimit(0);
    const explaining = {
      ...strict,
      evaluate: async (context: PolicyContext) => ({
        decision: await strict.decide(context),
        trace: [],
        decidedBy: 'jobs quota',
        shadowMode: false,
      }),
    };
    const h = harness({ ...inShadowMode(explaining), quotas: strict.quotas });
    expect(await processTask(h.print().message(), h.deps)).toMatchObject({
      outcome: 'released',
      decision: { rule: 'shadow mode', shadowOf: { action: 'deny', reason: 'You have used 0 of 0 jobs this month' } },
    });
    expect(await h.usage()).toEqual({});
  });
});

describe('quotas at release: held jobs are charged when they print, as they print', () => {
  const holdFor = (configuration?: Extract<Decision, { action: 'hold' }>['configuration']) =>
    quotaPolicy([monthly('copies', 'copies', 10)], async (context) => {
      await context.quota('copies');
      return { action: 'hold', rule: 'pull', expiresInMinutes: 60, onExpiry: 'deny', configuration };
    });

  async function heldJob(copies = 3) {
    const h = harness(holdFor());
    const { task, message } = h.print('office', { configuration: { copies, colorMode: 'color' } });
    expect(await processTask(message(), h.deps)).toMatchObject({ outcome: 'held' });
    expect(await h.usage()).toEqual({ copies: { confirmed: 0, reserved: copies } });
    const release = {
      api: h.api as unknown as PrintApi,
      holds: h.deps.holds,
      audit: h.deps.audit,
      tasks: h.deps.tasks,
      log: h.deps.log,
      usageStore: h.store,
    };
    return { h, task, release };
  }

  it('released at a printer with fewer copies: charged the fewer copies', async () => {
    const { h, task, release } = await heldJob(3);
    const results = await releaseHeldJobs(release, {
      owner: OWNER,
      taskIds: [task.id],
      printerId: PRINTERS.office,
      changes: { copies: 1 },
      via: 'test',
    });
    expect(results).toMatchObject([{ status: 'released' }]);
    expect(await h.usage()).toEqual({ copies: { confirmed: 1, reserved: 0 } });
  });

  it('a settlement that keeps failing after the release does not put the hold back: the reservation stays, logged', async () => {
    const { h, task, release } = await heldJob(2);
    const broken = { ...h.store, confirm: () => Promise.reject(new Error('storage is down')) };
    const results = await releaseHeldJobs(
      { ...release, usageStore: broken },
      { owner: OWNER, taskIds: [task.id], printerId: PRINTERS.office, via: 'test' },
    );
    expect(results).toMatchObject([{ status: 'released' }]);
    expect(h.deps.holds.held).toHaveLength(0);
    expect(h.eventsNamed('quota.settle-failed')).toMatchObject([{ how: 'confirm' }]);
    expect(await h.usage()).toEqual({ copies: { confirmed: 0, reserved: 2 } });
  });

  it('deleted by its owner: costs nothing', async () => {
    const { h, task, release } = await heldJob(3);
    expect(await deleteHeldJobs(release, { owner: OWNER, taskIds: [task.id] })).toMatchObject([{ status: 'deleted' }]);
    expect(await h.usage()).toEqual({ copies: { confirmed: 0, reserved: 0 } });
  });

  it('expired with deny: costs nothing', async () => {
    const { h, release } = await heldJob(2);
    const later = new Date(Date.now() + 2 * 60 * 60_000);
    expect(await expireHolds({ ...release, now: () => later })).toMatchObject({ expired: 1, denied: 1 });
    expect(await h.usage()).toEqual({ copies: { confirmed: 0, reserved: 0 } });
  });
});

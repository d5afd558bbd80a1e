import type { AppView } from '../../../src/setup/doctor-app-view';
import { activityChecks, quotaChecks, taskDefinitionChecks } from '../../../admin/doctor/app-checks';
import { collectAppView } from '../../../src/setup/doctor-app-view';
import { exitCodeOf, fail, formatReport, jsonReport, ok, redactKeys, warn } from '../../../admin/doctor/report';

const APP = '11111111-2222-4333-8444-555555555555';
const OURS = '3203656e-6069-4e10-8147-d25290b00a3c';
const view = (parts: Partial<AppView>): AppView => ({ version: 1, appId: APP, errors: {}, ...parts });
const now = new Date('2026-12-02T10:00:00Z');

describe('doctor report', () => {
  it('exit code: 0 all good, 1 warnings only, 2 any failure', () => {
    expect(exitCodeOf([ok('a', 'x')])).toBe(0);
    expect(exitCodeOf([ok('a', 'x'), warn('b', 'y', 'z')])).toBe(1);
    expect(exitCodeOf([warn('b', 'y', 'z'), fail('c', 'y', 'z')])).toBe(2);
  });

  it('prints a line per check, the fix under a problem, and a summary; --json carries the same', () => {
    const checks = [ok('Task definition', 'ours'), fail('Secret x', 'missing', 'az keyvault secret set …')];
    expect(formatReport(checks)).toEqual([
      '✔ Task definition  ours',
      '✘ Secret x         missing',
      '                   fix: az keyvault secret set …',
      '',
      '1 ok, 0 warning(s), 1 failed.',
    ]);
    expect(JSON.parse(jsonReport(checks))).toEqual({ exitCode: 2, checks });
  });

  it('never shows a function key', () => {
    expect(redactKeys('https://app/api/notifications?code=s3cr3t&cs=abcd1234')).toBe(
      'https://app/api/notifications?code=***&cs=abcd1234',
    );
    expect(redactKeys('https://app/api/lifecycle?cs=1&CODE=k')).toBe('https://app/api/lifecycle?cs=1&CODE=***');
  });
});

describe('doctor: the app view into checks', () => {
  it('task definition: unset (naming the id to set), not ours, or different from azd', () => {
    const definitions = [
      { id: OURS, displayName: 'Release Gate', createdByAppId: APP },
      { id: 'theirs', displayName: 'Other', createdByAppId: 'another-app' },
    ];
    expect(taskDefinitionChecks(view({ definitions }), undefined)).toEqual([
      expect.objectContaining({
        status: 'fail',
        fix: `azd env set RELEASE_GATE_TASK_DEFINITION_ID ${OURS} && azd provision`,
      }),
    ]);
    expect(taskDefinitionChecks(view({ definitions, taskDefinitionId: 'theirs' }), undefined)[0]).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/created by app another-app, not by ours/),
    });
    expect(
      taskDefinitionChecks(view({ definitions, taskDefinitionId: OURS }), 'stale-id').map((c) => c.status),
    ).toEqual(['ok', 'warn']);
    expect(taskDefinitionChecks(view({ errors: { definitions: 'forbidden (403): …' } }), OURS)[0]?.status).toBe('fail');
  });

  it('activity: nothing yet, tasks arriving but not decided, the poison queue, storage unreadable', () => {
    const queues = (poison: number) => [
      { name: 'print-tasks', approximateMessages: 3 },
      { name: 'print-tasks-poison', approximateMessages: poison },
    ];
    expect(
      activityChecks(view({ activity: { daysSearched: 14 }, queues: queues(0) }), now).map((c) => c.status),
    ).toEqual(['warn', 'ok']);
    const lagging = activityChecks(
      view({
        activity: {
          lastNotificationAt: '2026-12-02T09:50:00Z',
          lastDecisionAt: '2026-12-02T09:00:00Z',
          daysSearched: 1,
        },
        queues: queues(2),
      }),
      now,
    );
    expect(lagging[0]).toMatchObject({ status: 'warn', detail: expect.stringMatching(/10 min ago.*not decided/) });
    expect(lagging[1]).toMatchObject({
      status: 'warn',
      detail: '2 message(s) in print-tasks-poison (3 waiting in the task queue)',
    });
    // With messages on: the messages no try could send, parked where the admin sees them.
    const parked = (n: number) => ({ name: 'releasegate-messages-poison', approximateMessages: n });
    expect(
      activityChecks(view({ activity: { daysSearched: 1 }, queues: queues(0), parkedMessages: parked(0) }), now)[2],
    ).toEqual(ok('Parked messages', 'releasegate-messages-poison empty'));
    expect(
      activityChecks(view({ activity: { daysSearched: 1 }, queues: queues(0), parkedMessages: parked(4) }), now)[2],
    ).toMatchObject({
      status: 'warn',
      name: 'Parked messages',
      detail: '4 user message(s) in releasegate-messages-poison: not sent after every try',
    });
    expect(activityChecks(view({ errors: { storage: 'AuthorizationFailure' } }), now)[0]).toMatchObject({
      status: 'fail',
      name: 'Storage',
    });
  });
});

describe('doctor: the quota table, when the policy declares quotas', () => {
  const quotas = { declared: ['colour-pages', 'jobs'], table: 'releasegatequotas' };

  it('nothing to check without quotas; ok when reachable; fail with the fix when not', () => {
    expect(quotaChecks(view({}))).toEqual([]);
    expect(quotaChecks(view({ quotas }))).toEqual([
      ok(
        'Quota usage',
        'the policy declares 2 quota(s): colour-pages, jobs; the quota table releasegatequotas is reachable',
      ),
    ]);
    expect(quotaChecks(view({ quotas, errors: { quotas: 'AuthorizationPermissionMismatch' } }))[0]).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('cannot use its quota table releasegatequotas: AuthorizationPermissionMismatch'),
      fix: expect.stringContaining('Storage Table Data Contributor'),
    });
  });

  it('the app probes the table and reports what failed', async () => {
    const empty = {
      listEntities: async function* () {},
    } as unknown as Parameters<typeof collectAppView>[0]['auditTable'];
    const queueService = {
      getQueueClient: () => ({ getProperties: async () => ({ approximateMessagesCount: 0 }) }),
    } as unknown as Parameters<typeof collectAppView>[0]['queueService'];
    const api = {
      listTaskDefinitions: async () => [],
      listSubscriptions: async () => [],
    } as unknown as Parameters<typeof collectAppView>[0]['api'];
    const base = {
      appId: APP,
      api,
      auditTable: empty,
      queueService,
      taskQueue: 'tasks',
      now: new Date(),
      lookBackDays: 1,
    };
    const reachable = await collectAppView({ ...base, quotas: { ...quotas, probe: async () => undefined } });
    expect(reachable).toMatchObject({ quotas, errors: {} });
    const refused = await collectAppView({
      ...base,
      quotas: { ...quotas, probe: () => Promise.reject(new Error('403 AuthorizationPermissionMismatch')) },
    });
    expect(refused.errors.quotas).toContain('AuthorizationPermissionMismatch');
    expect(await collectAppView(base)).not.toHaveProperty('quotas');
  });
});

describe('doctor: parked user messages', () => {
  it('with messages on, the message poison queue is read on its own; without, it is not read', async () => {
    const read: string[] = [];
    const queueService = {
      getQueueClient: (name: string) => ({
        getProperties: async () => {
          read.push(name);
          return { approximateMessagesCount: name === 'releasegate-messages-poison' ? 2 : 0 };
        },
      }),
    } as unknown as Parameters<typeof collectAppView>[0]['queueService'];
    const base = {
      appId: APP,
      api: {
        listTaskDefinitions: async () => [],
        listSubscriptions: async () => [],
      } as unknown as Parameters<typeof collectAppView>[0]['api'],
      auditTable: { listEntities: async function* () {} } as unknown as Parameters<
        typeof collectAppView
      >[0]['auditTable'],
      queueService,
      taskQueue: 'tasks',
      now: new Date(),
      lookBackDays: 1,
    };
    const on = await collectAppView({ ...base, messageQueue: 'releasegate-messages' });
    expect(on.parkedMessages).toEqual({ name: 'releasegate-messages-poison', approximateMessages: 2 });
    expect(on.queues?.map((q) => q.name)).toEqual(['tasks', 'tasks-poison']);
    read.length = 0;
    expect(await collectAppView(base)).not.toHaveProperty('parkedMessages');
    expect(read).toEqual(['tasks', 'tasks-poison']);
  });
});

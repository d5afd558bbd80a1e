import { parseSettings } from '../../../src/config/load-settings';
import { createLog } from '../../../src/observability/log';
import type { PrintTaskMessage } from '../../../src/queue/print-task-message';
import type { TaskQueue } from '../../../src/queue/task-queue';
import { receiveNotifications, type WebhookDependencies } from '../../../src/webhook/receive-notifications';
import { capturingContext, postJson } from '../../support/function-request';
import {
  CLIENT_STATE,
  PRINTER_ID,
  TASK_DEFINITION_ID,
  collection,
  taskNotification,
  testEnvironment,
} from '../../support/notification-fixtures';

const URL = 'http://127.0.0.1:7071/api/notifications?code=functionkey';

function recordingQueue(failWith?: Error): TaskQueue & { sent: PrintTaskMessage[] } {
  const sent: PrintTaskMessage[] = [];
  return {
    sent,
    async send(messages) {
      if (failWith) throw failWith;
      sent.push(...messages);
    },
  };
}

function setup(
  options: { queue?: TaskQueue & { sent: PrintTaskMessage[] }; previous?: string; env?: Record<string, string> } = {},
) {
  const { context, logs } = capturingContext();
  const queue = options.queue ?? recordingQueue();
  const settings = parseSettings({ ...testEnvironment('UseDevelopmentStorage=true'), ...options.env });
  let ids = 0;
  const deps: WebhookDependencies = {
    settings,
    clientStates: async () => (options.previous ? [CLIENT_STATE, options.previous] : [CLIENT_STATE]),
    queue,
    log: createLog(context),
    now: () => new Date('2026-11-24T10:00:00.000Z'),
    newCorrelationId: () => `corr-${++ids}`,
  };
  return { deps, queue, logs };
}

describe('validation handshake', () => {
  it('echoes the URL-decoded token as text/plain before reading anything else', async () => {
    const { deps, queue } = setup();
    // The Graph docs' handshake: POST with ?validationToken=… and a text/plain body.
    const token =
      'Validation: Testing client application reachability for subscription Request-Id: 3b3f9821-ce3f-4b88-a9e5-4c2c7e9f13cd';
    const request = postJson(`${URL}&validationToken=${encodeURIComponent(token)}`, '', {
      'content-type': 'text/plain; charset=utf-8',
    });
    const response = await receiveNotifications(request, deps);
    expect(response.status).toBe(200);
    expect(response.headers?.['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toBe(token);
    expect(queue.sent).toHaveLength(0);
  });

  it('echoes an empty token too (Graph treats the token as opaque)', async () => {
    const { deps } = setup();
    const response = await receiveNotifications(postJson(`${URL}&validationToken=`, ''), deps);
    expect(response).toMatchObject({ status: 200, body: '' });
  });
});

describe('accepting notifications', () => {
  it('queues one message per task with the ids from resource and parentUrl', async () => {
    const { deps, queue, logs } = setup();
    const response = await receiveNotifications(
      postJson(URL, collection(taskNotification('d036638b-1272-4bba-9227-732463823ed3'))),
      deps,
    );
    expect(response.status).toBe(202);
    expect(response.body).toBeUndefined();
    expect(queue.sent).toEqual([
      {
        version: 1,
        taskDefinitionId: TASK_DEFINITION_ID,
        taskId: 'd036638b-1272-4bba-9227-732463823ed3',
        printerId: PRINTER_ID,
        jobId: '44353',
        subscriptionId: '7f105c7d-2dc5-4530-97cd-4e7ae6534c07',
        tenantId: '9a4c2f1e-7b3d-4e8a-b6c5-0d1e2f3a4b5c',
        receivedAt: '2026-11-24T10:00:00.000Z',
        correlationId: 'corr-1',
        source: 'notification',
      },
    ]);
    expect(logs.map((l) => l.event.event)).toEqual(['notification.accepted', 'notification.batch']);
  });

  it('queues a task once when a batch repeats it', async () => {
    const { deps, queue, logs } = setup();
    const body = collection(taskNotification('task-1'), taskNotification('task-1'), taskNotification('task-2', '5182'));
    expect((await receiveNotifications(postJson(URL, body), deps)).status).toBe(202);
    expect(queue.sent.map((m) => [m.taskId, m.jobId])).toEqual([
      ['task-1', '44353'],
      ['task-2', '5182'],
    ]);
    expect(logs.at(-1)?.event).toMatchObject({ event: 'notification.batch', received: 3, queued: 2, duplicates: 1 });
  });

  it('accepts the previous clientState during a rotation', async () => {
    const { deps, queue } = setup({ previous: 'the-old-client-state' });
    const body = collection(taskNotification('task-1', '1', { clientState: 'the-old-client-state' }));
    expect((await receiveNotifications(postJson(URL, body), deps)).status).toBe(202);
    expect(queue.sent).toHaveLength(1);
  });

  it('queues without printer and job when parentUrl is missing or not recognised, so the processor reads the task', async () => {
    const { deps, queue, logs } = setup();
    const noParent = taskNotification('task-1');
    delete (noParent.resourceData as Record<string, unknown>).parentUrl;
    const oddParent = taskNotification('task-2');
    (oddParent.resourceData as Record<string, unknown>).parentUrl =
      'https://graph.microsoft.com/v1.0/print/shares/x/jobs/../../admin';
    await receiveNotifications(postJson(URL, collection(noParent, oddParent)), deps);
    expect(queue.sent.map((m) => [m.taskId, m.printerId, m.jobId])).toEqual([
      ['task-1', undefined, undefined],
      ['task-2', undefined, undefined],
    ]);
    expect(logs.filter((l) => l.event.event === 'notification.parent-url-unrecognised')).toHaveLength(1);
  });
});

describe('discarding notifications that fail a check (202, nothing queued, a security log)', () => {
  const other = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
  const cases: [string, Record<string, unknown>, string][] = [
    ['wrong clientState', { clientState: 'guess' }, 'client-state'],
    ['no clientState', { clientState: undefined }, 'client-state'],
    ['another tenant', { tenantId: other }, 'tenant'],
    ['an updated change', { changeType: 'updated' }, 'change-type'],
    ['a lifecycle event', { lifecycleEvent: 'reauthorizationRequired' }, 'lifecycle-event'],
    ['another task definition', { resource: `print/taskDefinitions/${other}/tasks/t1` }, 'task-definition'],
    ['another resource', { resource: `print/printers/${PRINTER_ID}/jobs` }, 'resource'],
    [
      'a path trick in the task id',
      { resource: `print/taskDefinitions/${TASK_DEFINITION_ID}/tasks/..%2f..%2fadmin` },
      'resource',
    ],
    ['a dot-dot task id', { resource: `print/taskDefinitions/${TASK_DEFINITION_ID}/tasks/..` }, 'resource'],
    ['an extra path segment', { resource: `print/taskDefinitions/${TASK_DEFINITION_ID}/tasks/t1/extra` }, 'resource'],
    ['a query in the task id', { resource: `print/taskDefinitions/${TASK_DEFINITION_ID}/tasks/t1?x=1` }, 'resource'],
    ['a non-GUID definition id', { resource: 'print/taskDefinitions/not-a-guid/tasks/t1' }, 'resource'],
    ['resourceData naming another task', { resourceData: { id: 'someone-else' } }, 'resource'],
  ];

  it.each(cases)('%s', async (_name, overrides, reason) => {
    const { deps, queue, logs } = setup();
    const response = await receiveNotifications(
      postJson(URL, collection(taskNotification('t1', '1', overrides))),
      deps,
    );
    expect(response.status).toBe(202);
    expect(queue.sent).toHaveLength(0);
    const rejection = logs.find((l) => l.event.event === 'notification.rejected');
    expect(rejection).toMatchObject({ level: 'warning', event: { reason } });
    expect(JSON.stringify(logs)).not.toContain('guess'); // the sent clientState is never logged
    expect(logs.at(-1)?.event).toMatchObject({ rejected: { [reason]: 1 }, queued: 0 });
  });

  it('discards everything while no task definition is configured (before set-up)', async () => {
    const { deps, queue, logs } = setup({ env: { RELEASE_GATE_TASK_DEFINITION_ID: '' } });
    expect((await receiveNotifications(postJson(URL, collection(taskNotification('t1'))), deps)).status).toBe(202);
    expect(queue.sent).toHaveLength(0);
    expect(logs.find((l) => l.event.event === 'notification.rejected')?.event).toMatchObject({
      reason: 'task-definition',
    });
  });

  it('still queues the valid ones in a mixed batch, and caps security log lines', async () => {
    const { deps, queue, logs } = setup();
    const forged = Array.from({ length: 50 }, (_, i) => taskNotification(`f${i}`, '1', { clientState: 'x' }));
    const response = await receiveNotifications(postJson(URL, collection(...forged, taskNotification('good'))), deps);
    expect(response.status).toBe(202);
    expect(queue.sent.map((m) => m.taskId)).toEqual(['good']);
    expect(logs.filter((l) => l.event.event === 'notification.rejected')).toHaveLength(20);
    expect(logs.at(-1)?.event).toMatchObject({ rejected: { 'client-state': 50 }, queued: 1 });
  });
});

describe('rejecting malformed requests (4xx with a reason, nothing queued)', () => {
  const big = 'x'.repeat(1024 * 1024 + 1);
  const cases: [string, unknown, Record<string, string> | undefined, number, string][] = [
    ['not JSON', '{"value": [', undefined, 400, 'invalid_json'],
    ['an empty body', '', undefined, 400, 'invalid_json'],
    ['a JSON array', '[]', undefined, 400, 'invalid_notification'],
    ['no value', { foo: 1 }, undefined, 400, 'invalid_notification'],
    ['an empty value', { value: [] }, undefined, 400, 'invalid_notification'],
    ['value not an array', { value: 'x' }, undefined, 400, 'invalid_notification'],
    ['an item without subscriptionId', { value: [{ tenantId: 'x' }] }, undefined, 400, 'invalid_notification'],
    ['an item that is a string', { value: ['x'] }, undefined, 400, 'invalid_notification'],
    [
      'a wrong content type',
      collection(taskNotification('t1')),
      { 'content-type': 'text/plain' },
      415,
      'unsupported_media_type',
    ],
    ['no content type', collection(taskNotification('t1')), {}, 415, 'unsupported_media_type'],
    ['an oversized body', `{"value":[],"pad":"${big}"}`, undefined, 413, 'payload_too_large'],
    [
      'a declared oversized body',
      '{}',
      { 'content-type': 'application/json', 'content-length': String(5 * 1024 * 1024) },
      413,
      'payload_too_large',
    ],
    [
      'thousands of items',
      collection(...Array.from({ length: 1001 }, (_, i) => taskNotification(`t${i}`))),
      undefined,
      400,
      'too_many_notifications',
    ],
  ];

  it.each(cases)('%s', async (_name, body, headers, status, code) => {
    const { deps, queue } = setup();
    const response = await receiveNotifications(postJson(URL, body, headers), deps);
    expect(response.status).toBe(status);
    expect(response.jsonBody).toMatchObject({ error: { code, message: expect.any(String) } });
    expect(queue.sent).toHaveLength(0);
  });

  it('names the field that is wrong', async () => {
    const { deps } = setup();
    const response = await receiveNotifications(postJson(URL, { value: [{ subscriptionId: 1, tenantId: 't' }] }), deps);
    expect(response.jsonBody).toMatchObject({ error: { message: expect.stringContaining('value.0.subscriptionId') } });
  });

  it('refuses methods other than POST', async () => {
    const { deps } = setup();
    const { HttpRequest } = await import('@azure/functions');
    const response = await receiveNotifications(new HttpRequest({ method: 'GET', url: URL }), deps);
    expect(response.status).toBe(405);
  });
});

describe('answering 503 so Graph retries when nothing durable can be done', () => {
  it('when the queue cannot be written', async () => {
    const { deps, logs } = setup({ queue: recordingQueue(new Error('connect ECONNREFUSED 127.0.0.1:1')) });
    const response = await receiveNotifications(postJson(URL, collection(taskNotification('t1'))), deps);
    expect(response.status).toBe(503);
    expect(response.headers?.['retry-after']).toBeDefined();
    expect(logs.find((l) => l.event.event === 'notification.queue-failed')).toMatchObject({ level: 'error' });
  });

  it('when the clientState secret cannot be read', async () => {
    const { deps, queue } = setup();
    deps.clientStates = async () => {
      throw new Error('Key Vault unreachable');
    };
    const response = await receiveNotifications(postJson(URL, collection(taskNotification('t1'))), deps);
    expect(response.status).toBe(503);
    expect(queue.sent).toHaveLength(0);
  });
});

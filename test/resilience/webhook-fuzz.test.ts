import fc from 'fast-check';
import { HttpRequest } from '@azure/functions';
import { parseSettings } from '../../src/config/load-settings';
import { createLog } from '../../src/observability/log';
import type { PrintTaskMessage } from '../../src/queue/print-task-message';
import { receiveNotifications } from '../../src/webhook/receive-notifications';
import {
  CLIENT_STATE,
  TASK_DEFINITION_ID,
  TENANT_ID,
  taskNotification,
  testEnvironment,
} from '../support/notification-fixtures';

/**
 * Thousands of malformed and hostile requests at the webhook: it never answers 5xx (the queue is
 * up), never throws, and queues nothing that is not a genuine notification for our definition.
 * `RELEASE_GATE_FULL_RESILIENCE=1` runs 30,000.
 */
const runs = process.env.RELEASE_GATE_FULL_RESILIENCE ? 30_000 : 2_000;
const settings = parseSettings(testEnvironment('UseDevelopmentStorage=true'));
const quiet = createLog({ info: () => undefined, warn: () => undefined, error: () => undefined });

async function send(body: string | Uint8Array, headers: Record<string, string>, query = '') {
  const sent: PrintTaskMessage[] = [];
  const request = new HttpRequest({
    method: 'POST',
    url: `http://127.0.0.1:7071/api/notifications${query}`,
    headers,
    body: typeof body === 'string' ? { string: body } : { bytes: Buffer.from(body) },
  });
  const response = await receiveNotifications(request, {
    settings,
    clientStates: async () => [CLIENT_STATE],
    queue: { send: async (messages) => void sent.push(...messages) },
    log: quiet,
  });
  return { status: response.status, sent };
}

const hostileString = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '../../etc/passwd',
    '%2e%2e%2f',
    '<script>alert(1)</script>',
    '\u0000',
    'null',
    '{}',
    '[]',
    "' OR 1=1 --",
    'a'.repeat(5000),
  ),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);
const forgedNotification = fc.record(
  {
    subscriptionId: hostileValue,
    tenantId: fc.oneof(fc.constant(TENANT_ID), hostileValue),
    clientState: fc.oneof(fc.constant('forged'), hostileValue, fc.constant(undefined)),
    changeType: fc.oneof(fc.constant('created'), hostileValue),
    resource: fc.oneof(
      fc.constant(`print/taskDefinitions/${TASK_DEFINITION_ID}/tasks/x`),
      hostileString.map((s) => `print/taskDefinitions/${TASK_DEFINITION_ID}/tasks/${s}`),
      hostileValue,
    ),
    resourceData: fc.oneof(hostileValue, fc.record({ id: hostileValue, parentUrl: hostileValue })),
    lifecycleEvent: fc.oneof(fc.constant(undefined), hostileValue),
  },
  { requiredKeys: [] },
);

describe('webhook fuzzing', () => {
  it('answers 2xx/4xx to arbitrary bytes and headers, never throwing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.string({ maxLength: 2000 }), fc.json()),
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          '',
          'application/x-www-form-urlencoded',
          'APPLICATION/JSON',
        ),
        fc.option(fc.constantFrom('0', '-1', 'abc', '99999999999', '1e9'), { nil: undefined }),
        async (body, contentType, length) => {
          const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
          if (length !== undefined) headers['content-length'] = length;
          const { status, sent } = await send(body, headers);
          expect(status === 202 || (status >= 400 && status < 500)).toBe(true);
          expect(sent).toHaveLength(0);
        },
      ),
      { numRuns: runs },
    );
  });

  it('queues nothing for forged or malformed notifications, whatever their fields hold', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(forgedNotification, { minLength: 1, maxLength: 20 }), async (value) => {
        const { status, sent } = await send(JSON.stringify({ value }), { 'content-type': 'application/json' });
        expect([202, 400]).toContain(status);
        // Only something with our clientState, tenant, created and a clean task resource may be queued; none of these has the clientState.
        expect(sent).toHaveLength(0);
      }),
      { numRuns: runs },
    );
  });

  it('queues exactly the genuine notifications hidden in a hostile batch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(forgedNotification, { maxLength: 10 }),
        // Task ids are compared without case (they are GUIDs), so "f" and "F" are one task.
        fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9-]{1,36}$/), {
          minLength: 1,
          maxLength: 5,
          selector: (id) => id.toLowerCase(),
        }),
        async (forged, taskIds) => {
          const genuine = taskIds.map((id) => taskNotification(id));
          const { status, sent } = await send(JSON.stringify({ value: [...forged, ...genuine] }), {
            'content-type': 'application/json',
          });
          if (status === 400) return; // a forged item broke the collection schema: nothing queued, Graph never sends such a batch
          expect(status).toBe(202);
          expect(sent.map((m) => m.taskId).sort()).toEqual([...taskIds].sort());
        },
      ),
      { numRuns: Math.round(runs / 3) },
    );
  });

  it('echoes any validation token verbatim as plain text, nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (token) => {
        const request = new HttpRequest({
          method: 'POST',
          url: `http://127.0.0.1/api/notifications?validationToken=${encodeURIComponent(token)}`,
        });
        const response = await receiveNotifications(request, {
          settings,
          clientStates: async () => [],
          queue: { send: async () => undefined },
          log: quiet,
        });
        expect(response).toMatchObject({
          status: 200,
          body: token,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
        });
      }),
      { numRuns: Math.round(runs / 3) },
    );
  });
});

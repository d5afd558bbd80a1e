import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { BODY_LIMITS } from '../src/http/body-cap';
import { invocationLog } from '../src/observability/invocation-log';

/**
 * `POST /api/setup/task-definition` (admin key): finds or creates our print task definition with the
 * app's own identity. Graph allows this with application permissions only, which the admin's
 * set-up CLI does not have when the app is secretless; so the CLI asks the app to do it.
 */
export async function setupTaskDefinition(
  _request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  const releaseGate = currentApp();
  const [{ ensureTaskDefinition }, full] = await Promise.all([
    import('../src/setup/ensure-task-definition'),
    releaseGate.full(log),
  ]);
  const appId = releaseGate.settings.RELEASE_GATE_APP_CLIENT_ID;
  const { definition, created } = await ensureTaskDefinition(await full.api(), { appId });
  log.info('setup.task-definition', { taskDefinitionId: definition.id, created });
  return { status: created ? 201 : 200, jsonBody: { id: definition.id, displayName: definition.displayName, created } };
}

app.http('setup-task-definition', {
  route: 'setup/task-definition',
  methods: ['POST'],
  authLevel: 'admin',
  handler: setupTaskDefinition,
});

/** The record of the task triggers set-up created (src/setup/trigger-record.ts), in the app's storage. */
async function triggerRecord() {
  const { tableTriggerRecord, TRIGGER_RECORD_TABLE } = await import('../src/setup/trigger-record');
  return tableTriggerRecord(currentApp().table(TRIGGER_RECORD_TABLE));
}

/** `GET /api/setup/triggers` (admin key): the triggers Release Gate created, for set-up and the doctor. */
export async function listRecordedTriggers(): Promise<HttpResponseInit> {
  return { status: 200, jsonBody: { value: await (await triggerRecord()).list() } };
}

/** `PUT|DELETE /api/setup/triggers/{printerId}/{triggerId}` (admin key): record a trigger set-up made, or forget it. */
export async function recordTrigger(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  const { printerId, triggerId } = request.params;
  if (!printerId || !triggerId) return { status: 400, jsonBody: { error: 'printer and trigger ids are required' } };
  const record = await triggerRecord();
  if (request.method === 'DELETE') {
    await record.remove(printerId, triggerId);
    log.info('setup.trigger-forgotten', { printerId, triggerId });
    return { status: 204 };
  }
  const { readJsonBody } = await import('../src/http/json-body');
  const { TRIGGER_RECORD_BODY } = await import('../src/setup/admin-request-bodies');
  const body = await readJsonBody(request, TRIGGER_RECORD_BODY, { maxBytes: BODY_LIMITS.setup });
  if (!body.ok) return body.response;
  await record.add({ printerId, triggerId, definitionId: body.data.definitionId });
  log.info('setup.trigger-recorded', { printerId, triggerId });
  return { status: 204 };
}

/**
 * `POST /api/setup/pull-queue-attributes` (admin key) `{ "printerId": "…", "dryRun": false }`: writes a pull
 * queue's printer attributes (step 3 of Graph's pull-printing flow) with the app's own token, which Graph
 * requires (application Printer.ReadWrite.All, the app that registered the printer). Idempotent.
 */
export async function setupPullQueueAttributes(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  const [{ readJsonBody }, { PULL_QUEUE_ATTRIBUTES_BODY }] = await Promise.all([
    import('../src/http/json-body'),
    import('../src/setup/admin-request-bodies'),
  ]);
  const read = await readJsonBody(request, PULL_QUEUE_ATTRIBUTES_BODY, { maxBytes: BODY_LIMITS.setup });
  if (!read.ok) return read.response;
  const body = read.data;
  const [{ ensurePullQueueAttributes, attributesHint }, full] = await Promise.all([
    import('../src/setup/pull-queue-attributes'),
    currentApp().full(log),
  ]);
  const api = await full.api();
  try {
    const outcome = await ensurePullQueueAttributes(api, body.printerId, { dryRun: body.dryRun === true });
    log.info('setup.pull-queue-attributes', { printerId: body.printerId, state: outcome.state });
    return { status: 200, jsonBody: outcome };
  } catch (error) {
    log.warn('setup.pull-queue-attributes-failed', { printerId: body.printerId, detail: String(error) });
    // 502: Graph (not this endpoint or its key) refused or failed; the message says what to do.
    return { status: 502, jsonBody: { error: attributesHint(error) } };
  }
}

app.http('setup-triggers', {
  route: 'setup/triggers',
  methods: ['GET'],
  authLevel: 'admin',
  handler: listRecordedTriggers,
});

app.http('setup-trigger', {
  route: 'setup/triggers/{printerId}/{triggerId}',
  methods: ['PUT', 'DELETE'],
  authLevel: 'admin',
  handler: recordTrigger,
});

app.http('setup-pull-queue-attributes', {
  route: 'setup/pull-queue-attributes',
  methods: ['POST'],
  authLevel: 'admin',
  handler: setupPullQueueAttributes,
});

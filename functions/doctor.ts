import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { createLog } from '../src/observability/log';

/**
 * `POST /api/setup/doctor` (admin key): the app's own view for `npm run doctor`. Task definitions and
 * the app's subscriptions need the app's application permissions, and storage needs its identity's
 * data roles; a secretless app has no credential the admin's machine could use, so the doctor asks it.
 */
export async function setupDoctor(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  const [{ collectAppView }, { processorDependencies }, { settings }, storage] = await Promise.all([
    import('../src/doctor/app-view'),
    import('../src/processor/processor-dependencies'),
    import('../src/config/load-settings'),
    import('../src/storage/storage-clients'),
  ]);
  const config = settings();
  let api;
  try {
    ({ api } = await processorDependencies(log));
  } catch (error) {
    // E.g. the app's credential cannot be built: the doctor reports it as the Function App's failure.
    const message = error instanceof Error ? error.message : String(error);
    log.error('setup.doctor-failed', { detail: message });
    return { status: 500, jsonBody: { error: { code: 'AppCredentialFailed', message } } };
  }
  const view = await collectAppView({
    appId: config.RELEASE_GATE_APP_CLIENT_ID,
    taskDefinitionId: config.RELEASE_GATE_TASK_DEFINITION_ID,
    api,
    auditTable: storage.createTableClient(config, config.RELEASE_GATE_AUDIT_TABLE),
    queueService: storage.createQueueServiceClient(config),
    taskQueue: config.RELEASE_GATE_TASK_QUEUE,
    now: new Date(),
  });
  log.info('setup.doctor', { errors: Object.keys(view.errors) });
  // The subscriptions' URLs carry the function key: never cached, only for the admin-key caller.
  return { status: 200, jsonBody: view, headers: { 'cache-control': 'no-store' } };
}

app.http('setup-doctor', {
  route: 'setup/doctor',
  methods: ['POST'],
  authLevel: 'admin',
  handler: setupDoctor,
});

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { createLog } from '../src/observability/log';

/**
 * `POST /api/setup/task-definition` (admin key): finds or creates our print task definition with the
 * app's own identity. Graph allows this with application permissions only, which the admin's
 * set-up CLI does not have when the app is secretless; so the CLI asks the app to do it.
 */
export async function setupTaskDefinition(
  _request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  const [{ ensureTaskDefinition }, { processorDependencies }, { settings }] = await Promise.all([
    import('../src/setup/ensure-task-definition'),
    import('../src/processor/processor-dependencies'),
    import('../src/config/load-settings'),
  ]);
  const { api } = await processorDependencies(log);
  const { definition, created } = await ensureTaskDefinition(api, { appId: settings().RELEASE_GATE_APP_CLIENT_ID });
  log.info('setup.task-definition', { taskDefinitionId: definition.id, created });
  return { status: created ? 201 : 200, jsonBody: { id: definition.id, displayName: definition.displayName, created } };
}

app.http('setup-task-definition', {
  route: 'setup/task-definition',
  methods: ['POST'],
  authLevel: 'admin',
  handler: setupTaskDefinition,
});

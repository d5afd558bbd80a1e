import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';
import { errorText } from '../src/observability/log';

/**
 * `POST /api/setup/doctor` (admin key): the app's own view for `npm run doctor`. Task definitions and
 * the app's subscriptions need the app's application permissions, and storage needs its identity's
 * data roles; a secretless app has no credential the admin's machine could use, so the doctor asks it.
 */
export async function setupDoctor(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  const releaseGate = currentApp();
  const config = releaseGate.settings;
  const { collectAppView } = await import('../src/setup/doctor-app-view');
  let api;
  try {
    api = await (await releaseGate.full(log)).api();
  } catch (error) {
    // E.g. the app's credential cannot be built: the doctor reports it as the Function App's failure.
    const message = errorText(error);
    log.error('setup.doctor-failed', { detail: message });
    return { status: 500, jsonBody: { error: { code: 'AppCredentialFailed', message } } };
  }
  const quotas = await policyQuotas(releaseGate, log);
  const view = await collectAppView({
    appId: config.RELEASE_GATE_APP_CLIENT_ID,
    taskDefinitionId: config.RELEASE_GATE_TASK_DEFINITION_ID,
    api,
    auditTable: releaseGate.table(config.RELEASE_GATE_AUDIT_TABLE),
    queueService: releaseGate.queueService,
    taskQueue: config.RELEASE_GATE_TASK_QUEUE,
    ...(config.RELEASE_GATE_MESSAGES?.length ? { messageQueue: config.RELEASE_GATE_MESSAGE_QUEUE } : {}),
    now: new Date(),
    ...(quotas ? { quotas } : {}),
  });
  log.info('setup.doctor', { errors: Object.keys(view.errors) });
  // The subscriptions' URLs carry the function key: never cached, only for the admin-key caller.
  return { status: 200, jsonBody: view, headers: { 'cache-control': 'no-store' } };
}

/**
 * When the policy declares quotas: their names and a probe of the quota table (created if missing,
 * then one read), since every decision then needs it. A policy that cannot be loaded declares none here.
 */
async function policyQuotas(releaseGate: ReturnType<typeof currentApp>, log: ReturnType<typeof invocationLog>) {
  const processor = await (await releaseGate.full(log)).processor(log);
  const { policy, usageStore } = processor;
  const declared = await (policy.loadQuotas?.() ?? Promise.resolve(policy.quotas)).catch(() => undefined);
  if (!declared?.definitions.length) return undefined;
  return {
    declared: declared.definitions.map((d) => d.name),
    table: releaseGate.settings.RELEASE_GATE_QUOTA_TABLE,
    probe: async () => void (await usageStore!.charge('doctor', 'doctor')),
  };
}

app.http('setup-doctor', {
  route: 'setup/doctor',
  methods: ['POST'],
  authLevel: 'admin',
  handler: setupDoctor,
});

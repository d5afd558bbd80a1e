import { settings } from '../config/load-settings';
import { describeError, type Log } from '../observability/log';
import { metrics } from '../observability/metrics';
import { processorDependencies } from '../processor/processor-dependencies';
import type { ControlMessage } from '../queue/control-message';
import { reconcileTasks, type ReconcileReport } from './reconcile-tasks';
import { acceptedClientStates } from '../secrets/client-state';
import { secretStoreFromSettings } from '../app/secret-store-from-settings';
import { FunctionKeyMissingError, resolveFunctionKey } from './function-key';
import { maintainSubscription, type KeeperReport } from './maintain-subscription';

/**
 * The self-maintenance jobs (subscription keeper, reconciler, lifecycle work) with their
 * dependencies resolved from settings. Graph and secret access come from the processor's
 * per-process singletons.
 */
export async function keepSubscription(
  log: Log,
  options: { forceRenew?: boolean } = {},
): Promise<KeeperReport | undefined> {
  const config = settings();
  const taskDefinitionId = config.RELEASE_GATE_TASK_DEFINITION_ID;
  if (!config.RELEASE_GATE_NOTIFICATION_URL || !taskDefinitionId) {
    log.error('subscription.not-configured', {
      missing: !taskDefinitionId
        ? 'RELEASE_GATE_TASK_DEFINITION_ID (run the set-up CLI)'
        : 'RELEASE_GATE_NOTIFICATION_URL',
    });
    return undefined;
  }
  const deps = await processorDependencies(log);
  const secrets = secretStoreFromSettings(config);
  const [clientState] = await acceptedClientStates(secrets, config);
  let functionKey: string | undefined;
  try {
    functionKey = await resolveFunctionKey(config, secrets);
  } catch (error) {
    // Loud, and no keyless subscription: Graph's validation of it would get 401 in Azure anyway.
    if (error instanceof FunctionKeyMissingError)
      log.error('subscription.function-key-missing', { reason: error.reason, fix: error.fix });
    throw error;
  }
  const signals = metrics();
  const report = await maintainSubscription(
    deps.api,
    {
      taskDefinitionId,
      notificationUrl: config.RELEASE_GATE_NOTIFICATION_URL,
      lifecycleUrl: config.RELEASE_GATE_LIFECYCLE_URL,
      clientState: clientState!,
      functionKey,
      appId: config.RELEASE_GATE_APP_CLIENT_ID,
    },
    log,
    { ...options, signals },
  );
  // The instance may be frozen after the run: send the healthy signal now, not at the next interval.
  // The subscription is fine either way, so a failed send is logged, not thrown: without this line the
  // missing signal would raise the subscription alert with nothing to say why.
  await signals.flush().catch((error: unknown) => log.warn('metrics.flush-failed', describeError(error)));
  return report;
}

export async function reconcile(log: Log): Promise<ReconcileReport | undefined> {
  const config = settings();
  const taskDefinitionId = config.RELEASE_GATE_TASK_DEFINITION_ID;
  if (!taskDefinitionId) {
    log.warn('reconciler.not-configured', { missing: 'RELEASE_GATE_TASK_DEFINITION_ID (run the set-up CLI)' });
    return undefined;
  }
  const deps = await processorDependencies(log);
  return reconcileTasks({
    api: deps.api,
    tasks: deps.tasks,
    queue: deps.queue,
    tenantId: config.RELEASE_GATE_TENANT_ID,
    taskDefinitionId,
    graceMinutes: config.RELEASE_GATE_RECONCILE_GRACE_MINUTES,
    log,
  });
}

/** Work the lifecycle URL queued. */
export async function handleControlMessage(message: ControlMessage, log: Log): Promise<void> {
  const taskLog = log.with({ correlationId: message.correlationId });
  switch (message.kind) {
    case 'renew-subscription':
      await keepSubscription(taskLog, { forceRenew: true });
      return;
    case 'recreate-subscription':
      await keepSubscription(taskLog);
      await reconcile(taskLog); // notifications may have been lost while it was gone
      return;
    case 'reconcile':
      await reconcile(taskLog);
      return;
  }
}

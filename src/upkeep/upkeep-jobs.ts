import type { Settings } from '../config/settings';
import type { PrintApi } from '../graph/print-api';
import { describeError, type Log } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { TaskQueue } from '../queue/task-queue';
import { acceptedClientStates } from '../secrets/client-state';
import type { SecretStore } from '../secrets/secret-store';
import type { TaskIndex } from '../tasks/task-index';
import { FunctionKeyMissingError, resolveFunctionKey } from './function-key';
import { maintainSubscription, type KeeperReport } from './maintain-subscription';
import { reconcileTasks, type ReconcileReport } from './reconcile-tasks';

/** What the upkeep jobs need (src/app builds it); Graph and the stores only once a job is configured. */
export interface UpkeepDependencies {
  settings: Settings;
  secrets: SecretStore;
  metrics: Metrics;
  printing: () => Promise<{ api: PrintApi; tasks: TaskIndex; queue: TaskQueue }>;
}

/** The subscription keeper's run: one subscription for our task definition, renewed in time. */
export async function keepSubscription(
  deps: UpkeepDependencies,
  log: Log,
  options: { forceRenew?: boolean } = {},
): Promise<KeeperReport | undefined> {
  const config = deps.settings;
  const taskDefinitionId = config.RELEASE_GATE_TASK_DEFINITION_ID;
  if (!config.RELEASE_GATE_NOTIFICATION_URL || !taskDefinitionId) {
    log.error('subscription.not-configured', {
      missing: !taskDefinitionId
        ? 'RELEASE_GATE_TASK_DEFINITION_ID (run the set-up CLI)'
        : 'RELEASE_GATE_NOTIFICATION_URL',
    });
    return undefined;
  }
  const { api } = await deps.printing();
  const [clientState] = await acceptedClientStates(deps.secrets, config);
  let functionKey: string | undefined;
  try {
    functionKey = await resolveFunctionKey(config, deps.secrets);
  } catch (error) {
    // Loud, and no keyless subscription: Graph's validation of it would get 401 in Azure anyway.
    if (error instanceof FunctionKeyMissingError)
      log.error('subscription.function-key-missing', { reason: error.reason, fix: error.fix });
    throw error;
  }
  const signals = deps.metrics;
  const report = await maintainSubscription(
    api,
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

/** The reconciler's run: queue processing tasks whose notification never came. */
export async function reconcile(deps: UpkeepDependencies, log: Log): Promise<ReconcileReport | undefined> {
  const config = deps.settings;
  const taskDefinitionId = config.RELEASE_GATE_TASK_DEFINITION_ID;
  if (!taskDefinitionId) {
    log.warn('reconciler.not-configured', { missing: 'RELEASE_GATE_TASK_DEFINITION_ID (run the set-up CLI)' });
    return undefined;
  }
  const { api, tasks, queue } = await deps.printing();
  return reconcileTasks({
    api,
    tasks,
    queue,
    tenantId: config.RELEASE_GATE_TENANT_ID,
    taskDefinitionId,
    graceMinutes: config.RELEASE_GATE_RECONCILE_GRACE_MINUTES,
    log,
  });
}

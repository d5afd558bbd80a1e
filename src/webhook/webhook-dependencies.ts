import { settings } from '../config/load-settings';
import type { Settings } from '../config/settings';
import { describeError, type Log } from '../observability/log';
import { metrics } from '../observability/metrics';
import { storageQueue, storageTaskQueue, type ControlQueue, type TaskQueue } from '../queue/task-queue';
import { acceptedClientStates } from '../secrets/client-state';
import { secretStoreFromSettings } from '../app/secret-store-from-settings';
import type { SecretStore } from '../secrets/secret-store';
import { createQueueServiceClient } from '../storage/storage-clients';
import type { LifecycleDependencies } from './receive-lifecycle';
import type { WebhookDependencies } from './receive-notifications';

/** Per-process singletons: clients and caches survive between invocations on a warm instance. */
let shared: { settings: Settings; secrets: SecretStore; queue: TaskQueue; controlQueue: ControlQueue } | undefined;
let currentLog: Log | undefined;

export function webhookDependencies(log: Log): WebhookDependencies {
  currentLog = log;
  if (!shared) {
    const config = settings();
    const queues = createQueueServiceClient(config);
    shared = {
      settings: config,
      secrets: secretStoreFromSettings(config, (name, error) =>
        currentLog?.warn('secret.stale', { secret: name, ...describeError(error) }),
      ),
      queue: storageTaskQueue(queues.getQueueClient(config.RELEASE_GATE_TASK_QUEUE)),
      controlQueue: storageQueue(queues.getQueueClient(config.RELEASE_GATE_CONTROL_QUEUE)),
    };
  }
  const { settings: config, secrets, queue } = shared;
  return {
    settings: config,
    clientStates: () => acceptedClientStates(secrets, config),
    queue,
    log,
    metrics: metrics(),
  };
}

/** The lifecycle URL shares the webhook's settings, secret cache and storage clients. */
export function lifecycleDependencies(log: Log): LifecycleDependencies {
  const { settings: config, clientStates } = webhookDependencies(log);
  return { settings: config, clientStates, queue: shared!.controlQueue, log };
}

/** Drop the singletons (tests and the sandbox reconfigure the process between runs). */
export function resetWebhookDependencies(): void {
  shared = undefined;
}

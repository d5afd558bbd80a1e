import { settings } from '../config/load-settings';
import type { Settings } from '../config/settings';
import { describeError, type Log } from '../observability/log';
import { storageTaskQueue, type TaskQueue } from '../queue/task-queue';
import { acceptedClientStates } from '../secrets/client-state';
import { secretStoreFromSettings } from '../secrets/secret-store-from-settings';
import type { SecretStore } from '../secrets/secret-store';
import { createQueueServiceClient } from '../storage/storage-clients';
import type { WebhookDependencies } from './receive-notifications';

/** Per-process singletons: clients and caches survive between invocations on a warm instance. */
let shared: { settings: Settings; secrets: SecretStore; queue: TaskQueue } | undefined;
let currentLog: Log | undefined;

export function webhookDependencies(log: Log): WebhookDependencies {
  currentLog = log;
  if (!shared) {
    const config = settings();
    const queueClient = createQueueServiceClient(config).getQueueClient(config.RELEASE_GATE_TASK_QUEUE);
    shared = {
      settings: config,
      secrets: secretStoreFromSettings(config, (name, error) =>
        currentLog?.warn('secret.stale', { secret: name, ...describeError(error) }),
      ),
      queue: storageTaskQueue(queueClient),
    };
  }
  const { settings: config, secrets, queue } = shared;
  return { settings: config, clientStates: () => acceptedClientStates(secrets, config), queue, log };
}

/** Drop the singletons (tests and the sandbox reconfigure the process between runs). */
export function resetWebhookDependencies(): void {
  shared = undefined;
}

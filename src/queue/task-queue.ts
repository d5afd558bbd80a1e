import type { QueueClient } from '@azure/storage-queue';
import type { Settings } from '../config/settings';
import { managedIdentityCredential } from '../identity/managed-identity';
import { once } from '../storage/once';
import type { ControlMessage } from './control-message';
import { encodeQueueMessage, type PrintTaskMessage } from './print-task-message';
import { queueServiceFromConnectionString, restQueue } from './queue-rest';

/** A storage queue of one kind of message. */
export interface MessageQueue<T> {
  /** Resolves only once every message is durably stored; rejects if any could not be. */
  send(messages: readonly T[], signal?: AbortSignal, options?: { delaySeconds?: number }): Promise<void>;
}

/** Where accepted print tasks wait for the processor. */
export type TaskQueue = MessageQueue<PrintTaskMessage>;
/** Where upkeep work (subscription renewal, reconciling) waits. */
export type ControlQueue = MessageQueue<ControlMessage>;

/** A queue on Azure Storage, created on first use (Azurite starts empty). */
export function storageQueue<T>(queue: QueueClient): MessageQueue<T> {
  // Bounded: it runs on the webhook's path, which must answer Graph within 3 s.
  const ensureQueue = once(() => queue.createIfNotExists({ abortSignal: AbortSignal.timeout(1500) }));
  return {
    async send(messages, signal, options = {}) {
      await ensureQueue();
      const visibilityTimeout = options.delaySeconds ? Math.ceil(options.delaySeconds) : undefined;
      await Promise.all(
        messages.map((message) =>
          queue.sendMessage(encodeQueueMessage(message), { abortSignal: signal, visibilityTimeout }),
        ),
      );
    },
  };
}

export const storageTaskQueue = (queue: QueueClient): TaskQueue => storageQueue<PrintTaskMessage>(queue);

/**
 * The webhook's queues, from the storage settings: written over REST (src/queue/queue-rest.ts) with
 * an account key or the managed identity, so the storage SDK stays off the webhook's cold path; any
 * other connection (a shared access signature) goes through the SDK, loaded on first use.
 */
export function queueFromSettings<T>(settings: Settings, queueName: string): MessageQueue<T> {
  if (settings.AzureWebJobsStorage__queueServiceUri) {
    const clientId = settings.AzureWebJobsStorage__clientId ?? settings.RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID;
    const endpoint = settings.AzureWebJobsStorage__queueServiceUri.replace(/\/+$/, '');
    const credential = managedIdentityCredential(clientId);
    return restQueue<T>({ endpoint, authorization: { kind: 'token', credential } }, queueName, encodeQueueMessage);
  }
  if (!settings.AzureWebJobsStorage) throw new Error('No storage connection is configured');
  const target = queueServiceFromConnectionString(settings.AzureWebJobsStorage);
  if (target) return restQueue<T>(target, queueName, encodeQueueMessage);
  let sdk: Promise<MessageQueue<T>> | undefined;
  return {
    async send(messages, signal, options) {
      sdk ??= import('./queue-service-client').then(({ createQueueServiceClient }) =>
        storageQueue<T>(createQueueServiceClient(settings).getQueueClient(queueName)),
      );
      return (await sdk).send(messages, signal, options);
    },
  };
}

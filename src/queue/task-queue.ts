import type { QueueClient } from '@azure/storage-queue';
import type { Settings } from '../config/settings';
import { once } from '../storage/once';
import type { ControlMessage } from './control-message';
import { encodeQueueMessage, type PrintTaskMessage } from './print-task-message';

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
 * The app's queues, from the storage settings: the storage SDK loads with the first write, not when
 * the worker starts, so function files that never write a message do not pay for it.
 */
export function queueFromSettings<T>(settings: Settings, queueName: string): MessageQueue<T> {
  let sdk: Promise<MessageQueue<T>> | undefined;
  return {
    async send(messages, signal, options) {
      sdk ??= import('../storage/queue-service-client').then(({ createQueueServiceClient }) =>
        storageQueue<T>(createQueueServiceClient(settings).getQueueClient(queueName)),
      );
      sdk.catch(() => (sdk = undefined)); // the next write tries again
      return (await sdk).send(messages, signal, options);
    },
  };
}

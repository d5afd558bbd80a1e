import type { QueueClient } from '@azure/storage-queue';
import { encodeQueueMessage, type PrintTaskMessage } from './print-task-message';

/** Where accepted print tasks wait for the processor. */
export interface TaskQueue {
  /** Resolves only once every message is durably stored; rejects if any could not be. */
  send(messages: readonly PrintTaskMessage[], signal?: AbortSignal, options?: { delaySeconds?: number }): Promise<void>;
}

/** A task queue on Azure Storage. The queue is created on first use (Azurite starts empty). */
export function storageTaskQueue(queue: QueueClient): TaskQueue {
  let ready: Promise<unknown> | undefined;
  const ensureQueue = (signal?: AbortSignal) => {
    ready ??= queue.createIfNotExists({ abortSignal: signal }).catch((error: unknown) => {
      ready = undefined; // try again on the next call rather than remember the failure
      throw error;
    });
    return ready;
  };
  return {
    async send(messages, signal, options = {}) {
      await ensureQueue(signal);
      const visibilityTimeout = options.delaySeconds ? Math.ceil(options.delaySeconds) : undefined;
      await Promise.all(
        messages.map((message) =>
          queue.sendMessage(encodeQueueMessage(message), { abortSignal: signal, visibilityTimeout }),
        ),
      );
    },
  };
}

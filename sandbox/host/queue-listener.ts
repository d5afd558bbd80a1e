import { QueueClient, type DequeuedMessageItem } from '@azure/storage-queue';
import type { QueueHostSettings } from './host-config';
import { createInvocationContext, withTimeout, type HostLogSink } from './invocation';
import type { QueueRegistration } from './registrations';

/** How long a fetched message stays invisible while its function runs (the host uses 10 minutes). */
const DEFAULT_PROCESSING_VISIBILITY_S = 600;
const MIN_POLL_MS = 100;

export interface QueueListener {
  /** Resolves when every message that is visible now has been handled (for tests and the demo). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A storage-queue trigger with the Functions host's semantics: base64 messages decoded (and parsed
 * when JSON), `dequeueCount` and the other trigger metadata, up to batchSize + newBatchThreshold
 * invocations at once, a failed message made visible again after host.json's visibilityTimeout,
 * and after maxDequeueCount failed tries, moved to `<queue>-poison`.
 */
export function startQueueListener(options: {
  registration: QueueRegistration;
  connectionString: string;
  settings: QueueHostSettings;
  functionTimeoutMs: number;
  /** How long a fetched message stays invisible while it runs; a crashed worker's messages reappear after it. */
  processingVisibilitySeconds?: number;
  log: HostLogSink;
}): QueueListener {
  const { registration, settings, log } = options;
  const queue = new QueueClient(options.connectionString, registration.queueName);
  const poison = new QueueClient(options.connectionString, `${registration.queueName}-poison`);
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let pollDelay = MIN_POLL_MS;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** The poll under way, so stop() waits for it (a poll left going retries against a stopped Azurite). */
  let polling: Promise<void> | undefined;
  const hostLog = (level: string, message: string) =>
    log({ time: new Date(), functionName: registration.name, invocationId: '-', level, message });

  async function moveToPoison(message: DequeuedMessageItem): Promise<void> {
    await poison.createIfNotExists();
    await poison.sendMessage(message.messageText);
    await queue.deleteMessage(message.messageId, message.popReceipt);
    hostLog(
      'warning',
      `Message ${message.messageId} moved to ${registration.queueName}-poison after ${message.dequeueCount} tries`,
    );
  }

  async function run(message: DequeuedMessageItem): Promise<void> {
    // A message that crashed its instance mid-run comes back with a count already past the limit.
    if (message.dequeueCount > settings.maxDequeueCount) return moveToPoison(message);
    const text = Buffer.from(message.messageText, 'base64').toString('utf8');
    let input: unknown = text;
    try {
      input = JSON.parse(text);
    } catch {
      // not JSON: the handler gets the string, as with the real trigger
    }
    const context = createInvocationContext(registration.name, log, {
      triggerMetadata: {
        id: message.messageId,
        dequeueCount: message.dequeueCount,
        insertionTime: message.insertedOn.toISOString(),
        expirationTime: message.expiresOn.toISOString(),
        nextVisibleTime: message.nextVisibleOn.toISOString(),
        popReceipt: message.popReceipt,
        queueTrigger: text,
      },
    });
    try {
      await withTimeout(
        Promise.resolve(registration.handler(input, context)),
        options.functionTimeoutMs,
        registration.name,
      );
      await queue.deleteMessage(message.messageId, message.popReceipt);
    } catch (error) {
      context.error(
        `Function ${registration.name} failed (try ${message.dequeueCount}): ${error instanceof Error ? error.message : String(error)}`,
      );
      if (message.dequeueCount >= settings.maxDequeueCount) {
        await moveToPoison(message);
      } else {
        await queue.updateMessage(
          message.messageId,
          message.popReceipt,
          undefined,
          Math.ceil(settings.visibilityTimeoutMs / 1000),
        );
      }
    }
  }

  async function poll(): Promise<void> {
    if (stopped) return;
    let fetched = 0;
    try {
      await queue.createIfNotExists();
      const room = settings.batchSize + settings.newBatchThreshold - inFlight.size;
      if (inFlight.size <= settings.newBatchThreshold && room > 0) {
        const { receivedMessageItems } = await queue.receiveMessages({
          numberOfMessages: Math.min(settings.batchSize, room, 32),
          visibilityTimeout: options.processingVisibilitySeconds ?? DEFAULT_PROCESSING_VISIBILITY_S,
        });
        fetched = receivedMessageItems.length;
        for (const message of receivedMessageItems) {
          const work = run(message)
            .catch((error: unknown) => hostLog('error', `Queue bookkeeping failed: ${String(error)}`))
            .finally(() => {
              inFlight.delete(work);
              wake?.();
            });
          inFlight.add(work);
        }
      }
    } catch (error) {
      if (!stopped) hostLog('warning', `Polling ${registration.queueName} failed: ${String(error)}`);
    }
    // Back off while the queue is empty, as the host does, up to maxPollingInterval.
    pollDelay =
      fetched > 0 ? MIN_POLL_MS : Math.min(pollDelay * 2, Math.max(settings.maxPollingIntervalMs, MIN_POLL_MS));
    schedule(fetched > 0 ? 0 : pollDelay);
  }

  function schedule(delay: number): void {
    if (stopped) return;
    const start = () => {
      polling = poll();
    };
    timer = setTimeout(start, delay);
    wake = () => {
      wake = undefined;
      if (stopped) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(start, 0);
    };
  }

  schedule(0);
  return {
    async idle() {
      for (;;) {
        await Promise.all([...inFlight]);
        const props = await queue.getProperties().catch(() => undefined);
        const visible = await queue.peekMessages({ numberOfMessages: 1 }).catch(() => undefined);
        if (inFlight.size === 0 && (visible?.peekedMessageItems.length ?? 0) === 0 && props) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await polling;
      await Promise.allSettled([...inFlight]);
    },
  };
}

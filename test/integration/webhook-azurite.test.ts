import { QueueClient } from '@azure/storage-queue';
import { notifications } from '../../functions/notifications';
import { resetApp } from '../../src/app/app';
import { decodeQueueMessage, parsePrintTaskMessage } from '../../src/queue/print-task-message';
import { startAzurite, type Azurite } from '../../sandbox/azurite';
import { capturingContext, postJson } from '../support/function-request';
import {
  PRINTER_ID,
  TASK_DEFINITION_ID,
  collection,
  taskNotification,
  testEnvironment,
} from '../support/notification-fixtures';

const URL = 'http://127.0.0.1:7071/api/notifications?code=key';
const savedEnv = { ...process.env };

function configure(storage: string): void {
  process.env = { ...savedEnv, ...testEnvironment(storage) };
  resetApp();
}

async function drain(queue: QueueClient): Promise<unknown[]> {
  const out: unknown[] = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return out;
    for (const item of receivedMessageItems) {
      out.push(decodeQueueMessage(item.messageText));
      await queue.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

describe('webhook → Azurite queue (the function handler as the host calls it)', () => {
  let azurite: Azurite;
  let queue: QueueClient;

  beforeAll(async () => {
    azurite = await startAzurite();
    queue = new QueueClient(azurite.connectionString, 'print-tasks');
  });
  afterAll(async () => {
    process.env = savedEnv;
    resetApp();
    await azurite?.stop();
  });
  beforeEach(() => configure(azurite.connectionString));

  it('stores one base64 JSON message per task, readable as the queue trigger would', async () => {
    const { context } = capturingContext();
    const body = collection(
      taskNotification('task-a', '101'),
      taskNotification('task-b', '102'),
      taskNotification('task-a', '101'),
    );
    const response = await notifications(postJson(URL, body), context);
    expect(response.status).toBe(202);

    const messages = (await drain(queue)).map(parsePrintTaskMessage);
    expect(messages.map((m) => [m.taskId, m.jobId, m.printerId, m.taskDefinitionId]).sort()).toEqual([
      ['task-a', '101', PRINTER_ID, TASK_DEFINITION_ID],
      ['task-b', '102', PRINTER_ID, TASK_DEFINITION_ID],
    ]);
    expect(new Set(messages.map((m) => m.correlationId)).size).toBe(2);
  });

  it('queues nothing for a forged notification and still answers 202', async () => {
    const { context } = capturingContext();
    const response = await notifications(
      postJson(URL, collection(taskNotification('t', '1', { clientState: 'forged' }))),
      context,
    );
    expect(response.status).toBe(202);
    expect(await drain(queue)).toEqual([]);
  });

  it('answers 503 within the deadline when storage is unreachable, and 202 again once it is back', async () => {
    // A port nothing listens on: the same as storage being down.
    const down = azurite.connectionString.replace(
      /QueueEndpoint=http:\/\/127\.0\.0\.1:\d+/,
      'QueueEndpoint=http://127.0.0.1:9',
    );
    configure(down);
    const { context, logs } = capturingContext();
    const response = await notifications(postJson(URL, collection(taskNotification('task-c', '103'))), context);
    expect(response.status).toBe(503);
    expect(logs.some((l) => l.event.event === 'notification.queue-failed')).toBe(true);

    // Graph retries the same batch; now storage answers and nothing is lost.
    configure(azurite.connectionString);
    const retry = await notifications(
      postJson(URL, collection(taskNotification('task-c', '103'))),
      capturingContext().context,
    );
    expect(retry.status).toBe(202);
    expect((await drain(queue)).map((m) => (m as { taskId: string }).taskId)).toEqual(['task-c']);
  });
});

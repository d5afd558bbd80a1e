import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite, type Azurite } from '../../sandbox/azurite';
import { decodeQueueMessage, encodeQueueMessage } from '../../src/queue/print-task-message';
import { queueServiceFromConnectionString, restQueue, type QueueServiceTarget } from '../../src/queue/queue-rest';

describe('queueServiceFromConnectionString', () => {
  it('reads an account-key connection string, with the endpoint it names or the default one', () => {
    expect(
      queueServiceFromConnectionString(
        'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn',
      ),
    ).toEqual({
      endpoint: 'https://acct.queue.core.chinacloudapi.cn',
      authorization: { kind: 'shared-key', accountName: 'acct', accountKey: 'a2V5' },
    });
    expect(
      queueServiceFromConnectionString('AccountName=acct;AccountKey=a2V5;QueueEndpoint=http://127.0.0.1:1/acct/')
        ?.endpoint,
    ).toBe('http://127.0.0.1:1/acct');
    expect(queueServiceFromConnectionString('UseDevelopmentStorage=true')?.endpoint).toBe(
      'http://127.0.0.1:10001/devstoreaccount1',
    );
  });

  it('leaves a shared access signature to the SDK', () => {
    expect(
      queueServiceFromConnectionString('QueueEndpoint=https://acct.queue.core.windows.net;SharedAccessSignature=sv=x'),
    ).toBeUndefined();
  });
});

describe('restQueue against Azurite', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('creates the queue and writes messages the SDK reads back unchanged (Azurite checks the signature)', async () => {
    const target = queueServiceFromConnectionString(azurite.connectionString)!;
    const queue = restQueue<unknown>(target, 'rest-writes', encodeQueueMessage);
    const messages = [{ a: 1, text: '<&>"ü' }, { b: 2 }];
    await queue.send(messages);
    await queue.send([{ c: 3 }]); // the queue exists now: no second creation
    const reader = new QueueClient(azurite.connectionString, 'rest-writes');
    const { receivedMessageItems } = await reader.receiveMessages({ numberOfMessages: 32 });
    expect(receivedMessageItems.map((m) => decodeQueueMessage(m.messageText))).toEqual(
      expect.arrayContaining([...messages, { c: 3 }]),
    );
    expect(receivedMessageItems).toHaveLength(3);
  });

  it('writes into a queue made by someone else, and delays a message when asked', async () => {
    const reader = new QueueClient(azurite.connectionString, 'rest-delayed');
    await reader.create({ metadata: { owner: 'bicep' } }); // exists with other metadata: 409 on create
    const queue = restQueue<unknown>(
      queueServiceFromConnectionString(azurite.connectionString)!,
      'rest-delayed',
      encodeQueueMessage,
    );
    await queue.send([{ later: true }], undefined, { delaySeconds: 30 });
    expect((await reader.receiveMessages()).receivedMessageItems).toHaveLength(0);
    expect((await reader.getProperties()).approximateMessagesCount).toBe(1);
  });

  it('fails with the status when the account key is wrong', async () => {
    const good = queueServiceFromConnectionString(azurite.connectionString)!;
    const wrong: QueueServiceTarget = {
      ...good,
      authorization: {
        kind: 'shared-key',
        accountName: 'devstoreaccount1',
        accountKey: Buffer.from('nope').toString('base64'),
      },
    };
    await expect(restQueue<unknown>(wrong, 'rest-denied', encodeQueueMessage).send([{ x: 1 }])).rejects.toThrow(
      /HTTP 403/,
    );
  });
});

describe('restQueue retries once', () => {
  it('tries a write again after a 503, then gives up on a second one', async () => {
    const answers = [201, 503, 201, 503, 503];
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      req.resume();
      seen.push(`${req.method} ${req.url} ${req.headers.authorization?.startsWith('Bearer ') ? 'bearer' : '-'}`);
      res.writeHead(answers.shift() ?? 500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/acct`;
      const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) };
      const queue = restQueue<unknown>(
        { endpoint, authorization: { kind: 'token', credential } },
        'q',
        encodeQueueMessage,
      );
      await queue.send([{ first: true }]); // create 201, write 503, write again 201
      await expect(queue.send([{ second: true }])).rejects.toThrow(/HTTP 503/);
      expect(seen).toEqual([
        'PUT /acct/q bearer',
        'POST /acct/q/messages bearer',
        'POST /acct/q/messages bearer',
        'POST /acct/q/messages bearer',
        'POST /acct/q/messages bearer',
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

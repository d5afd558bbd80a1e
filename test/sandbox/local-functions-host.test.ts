import path from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite, type Azurite } from '../../sandbox/azurite';
import { timeSpanMs } from '../../sandbox/host/host-config';
import type { HostLogEntry } from '../../sandbox/host/invocation';
import { startLocalFunctionsHost, type LocalFunctionsHost } from '../../sandbox/host/local-functions-host';
import { encodeQueueMessage, decodeQueueMessage } from '../../src/queue/print-task-message';

const fixtures = path.join(__dirname, '..', 'fixtures');
const files = [path.join(fixtures, 'functions', 'echo.ts'), path.join(fixtures, 'functions', 'flaky-queue.ts')];
type Call = { input: unknown; dequeueCount: unknown; at: number };
const calls = () => (globalThis as Record<string, unknown>).__flakyQueueCalls as Call[];

describe('the sandbox host runs functions with the Functions host semantics', () => {
  let azurite: Azurite;
  let host: LocalFunctionsHost;
  const logs: HostLogEntry[] = [];

  beforeAll(async () => {
    azurite = await startAzurite();
    host = await startLocalFunctionsHost({
      settings: { FixtureStorage: azurite.connectionString },
      port: 0,
      files,
      hostJson: path.join(fixtures, 'host.json'),
      log: (entry) => logs.push(entry),
    });
  });
  afterAll(async () => {
    await host?.stop();
    await azurite?.stop();
  });

  it('learns routes, queues and schedules from the registrations', () => {
    expect(host.registrations.http.map((r) => [r.name, r.route, r.methods])).toEqual([
      ['echo', 'things/{id}/echo', ['POST', 'PUT']],
      ['crash', 'crash', ['GET']],
      ['admin-only', 'admin-only', ['GET']],
    ]);
    expect(host.registrations.queues.map((q) => [q.name, q.queueName, q.connection])).toEqual([
      ['flaky', 'fixture-tasks', 'FixtureStorage'],
    ]);
    expect(host.registrations.timers.map((t) => [t.name, t.schedule])).toEqual([['tick', '0 0 0 1 1 *']]);
  });

  it('routes HTTP under /api with route parameters, query and body, and serialises jsonBody', async () => {
    const response = await fetch(`${host.url}/api/things/42/echo?q=hello`, {
      method: 'PUT',
      body: 'payload',
      headers: { 'x-functions-key': host.keys.functions.echo!.default! },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-function')).toBe('echo');
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toEqual({ method: 'PUT', params: { id: '42' }, query: 'hello', body: 'payload' });
    expect(logs.some((l) => l.functionName === 'echo' && l.message.includes('"id":"42"'))).toBe(true);
  });

  it('answers 404 for unknown routes, 405 for other methods, 500 when a function throws', async () => {
    expect((await fetch(`${host.url}/api/nothing`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/things/1/echo?code=${host.keys.master}`)).status).toBe(405);
    expect((await fetch(`${host.url}/api/crash`)).status).toBe(500);
    expect(logs.some((l) => l.functionName === 'crash' && l.level === 'error' && l.message.includes('boom'))).toBe(
      true,
    );
  });

  it('decodes base64 JSON messages and deletes them after success', async () => {
    const queue = new QueueClient(azurite.connectionString, 'fixture-tasks');
    await queue.createIfNotExists();
    const before = calls().length;
    await queue.sendMessage(encodeQueueMessage({ hello: 'world' }));
    await waitFor(() => calls().length > before);
    await host.queuesIdle();
    expect(calls()[before]).toMatchObject({ input: { hello: 'world' }, dequeueCount: 1 });
    expect((await queue.peekMessages()).peekedMessageItems).toHaveLength(0);
  });

  it('retries a failing message after visibilityTimeout, then moves it to the -poison queue', async () => {
    const queue = new QueueClient(azurite.connectionString, 'fixture-tasks');
    const poison = new QueueClient(azurite.connectionString, 'fixture-tasks-poison');
    const before = calls().length;
    await queue.sendMessage(encodeQueueMessage({ failTimes: 99, name: 'doomed' }));
    await waitFor(() => calls().length >= before + 3, 15000);
    await waitFor(async () =>
      (await poison.exists()) ? (await poison.peekMessages()).peekedMessageItems.length > 0 : false,
    );
    const tries = calls().slice(before);
    expect(tries.map((c) => c.dequeueCount)).toEqual([1, 2, 3]);
    // Each retry waited for host.json's visibilityTimeout (1 s) before the message reappeared.
    for (let i = 1; i < tries.length; i++) expect(tries[i]!.at - tries[i - 1]!.at).toBeGreaterThanOrEqual(900);
    const [poisoned] = (await poison.receiveMessages()).receivedMessageItems;
    expect(decodeQueueMessage(poisoned!.messageText)).toEqual({ failTimes: 99, name: 'doomed' });
    // The warning is written just after the poison message is sent, so wait for it rather than race it.
    await waitFor(() => logs.some((l) => l.level === 'warning' && l.message.includes('fixture-tasks-poison')));
  });

  it('succeeds on a later try without poisoning', async () => {
    const before = calls().length;
    const queue = new QueueClient(azurite.connectionString, 'fixture-tasks');
    await queue.sendMessage(encodeQueueMessage({ failTimes: 1, name: 'flaky' }));
    await waitFor(() => calls().length >= before + 2, 10000);
    await host.queuesIdle();
    expect(
      calls()
        .slice(before)
        .map((c) => c.dequeueCount),
    ).toEqual([1, 2]);
  });

  it('runs a timer function through the admin endpoint', async () => {
    const before = calls().length;
    const master = { 'x-functions-key': host.keys.master };
    expect((await fetch(`${host.url}/admin/functions/tick`, { method: 'POST', headers: master })).status).toBe(202);
    await waitFor(() => calls().length > before);
    expect(calls()[before]?.input).toBe('tick');
    expect((await fetch(`${host.url}/admin/functions/nope`, { method: 'POST', headers: master })).status).toBe(404);
  });

  it('enforces authLevel like the Functions host: function, host or master key for function; master only for admin', async () => {
    const echo = (key?: string, how: 'header' | 'query' = 'header') =>
      fetch(`${host.url}/api/things/1/echo${key && how === 'query' ? `?code=${encodeURIComponent(key)}` : ''}`, {
        method: 'POST',
        headers: key && how === 'header' ? { 'x-functions-key': key } : {},
      }).then((r) => r.status);
    const { keys } = host;
    expect(await echo()).toBe(401);
    expect(await echo('not-a-key')).toBe(401);
    expect(await echo(keys.functions['admin-only']!.default)).toBe(401); // another function's key
    expect(await echo(keys.functions.echo!.default)).toBe(201);
    expect(await echo(keys.functions.echo!.default, 'query')).toBe(201);
    expect(await echo(keys.host.default, 'query')).toBe(201);
    expect(await echo(keys.master)).toBe(201);

    const admin = (key?: string) =>
      fetch(`${host.url}/api/admin-only`, { headers: key ? { 'x-functions-key': key } : {} }).then((r) => r.status);
    expect(await admin()).toBe(401);
    expect(await admin(keys.host.default)).toBe(401);
    expect(await admin(keys.functions['admin-only']!.default)).toBe(401);
    expect(await admin(keys.master)).toBe(200);

    // anonymous stays open
    expect((await fetch(`${host.url}/api/crash`)).status).toBe(500);
    // The admin API needs the master key too.
    expect((await fetch(`${host.url}/admin/functions/tick`, { method: 'POST' })).status).toBe(401);
    const hostKey = { 'x-functions-key': keys.host.default! };
    expect((await fetch(`${host.url}/admin/functions/tick`, { method: 'POST', headers: hostKey })).status).toBe(401);
    // Keys are random per host, as Azure makes them.
    expect(new Set([keys.master, keys.host.default, keys.functions.echo!.default]).size).toBe(3);
    expect(keys.master.length).toBeGreaterThanOrEqual(40);
  });

  it('reads host.json time spans', () => {
    expect(timeSpanMs('00:00:10')).toBe(10_000);
    expect(timeSpanMs('00:00:00.200')).toBe(200);
    expect(timeSpanMs('1.02:00:00')).toBe(26 * 3600_000);
    expect(() => timeSpanMs('10s')).toThrow();
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

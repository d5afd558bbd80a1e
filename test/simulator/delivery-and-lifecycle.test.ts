/* eslint-disable @typescript-eslint/no-explicit-any -- the assertions read arbitrary Graph JSON bodies */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientSecretCredential } from '@azure/identity';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID, DEMO_APP_SECRET } from '../../sandbox/simulator/demo-tenant';
import type { SimSubscription } from '../../sandbox/simulator/model';
import { GRAPH_DELIVERY, Notifier } from '../../sandbox/simulator/notifier';
import { waitFor } from '../support/wait';

/**
 * Graph's delivery and lifecycle rules for print subscriptions (universal-print-api.md §7;
 * change-notifications-delivery-webhooks, change-notifications-lifecycle-events), with the
 * schedule scaled down by options: the same timeout on every attempt, retries for a bounded period,
 * slow endpoints delayed then dropped, clientState of at most 128 characters, reauthorizationRequired
 * repeatedly and no other lifecycle event.
 */
interface Receiver {
  url: string;
  bodies: { value: Record<string, any>[] }[];
  /** Status and delay of the next answers (validation handshakes are always answered at once). */
  answer(status: number, delayMs?: number): void;
  /** Called as each notification is answered. */
  onAnswer?: () => void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const bodies: Receiver['bodies'] = [];
  let status = 202;
  let delayMs = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken');
      if (token !== null) return void res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
      bodies.push(JSON.parse(Buffer.concat(chunks).toString()) as Receiver['bodies'][number]);
      const timer = setTimeout(() => {
        receiver.onAnswer?.();
        res.writeHead(status).end();
      }, delayMs);
      res.on('close', () => clearTimeout(timer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const receiver: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/lifecycle?code=key`,
    bodies,
    answer: (s, d = 0) => ((status = s), (delayMs = d)),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
  return receiver;
}

const subscriptionTo = (url: string): SimSubscription =>
  ({
    id: 'sub-1',
    resource: 'print/taskDefinitions/d/tasks',
    changeType: 'created',
    notificationUrl: url,
    lifecycleNotificationUrl: url,
    clientState: 'state',
    expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
  }) as SimSubscription;

async function withSimulator(options: SimulatorOptions, test: (sim: Simulator, token: string) => Promise<void>) {
  const sim = await startSimulator(options);
  try {
    const token = (
      await new ClientSecretCredential(sim.tenantId, DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, {
        authorityHost: sim.authorityHost,
        disableInstanceDiscovery: true,
      }).getToken('https://graph.microsoft.com/.default')
    ).token;
    await test(sim, token);
  } finally {
    await sim.stop();
  }
}

const graphCall = (sim: Simulator, token: string, method: string, path: string, body?: unknown) =>
  fetch(`${sim.graphBaseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json().catch(() => undefined)) as Record<string, any> }));

const controlCall = (sim: Simulator, method: string, path: string, body?: unknown) =>
  fetch(`${sim.url}/_control${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));

describe('Graph delivery and lifecycle, as the simulator does them', () => {
  let receiver: Receiver;
  beforeEach(async () => (receiver = await startReceiver()));
  afterEach(async () => receiver.close());

  it("defaults to Graph's documented schedule", () => {
    expect(GRAPH_DELIVERY).toMatchObject({
      timeoutMs: 3000,
      slowAfterMs: 2900,
      retryForMs: 4 * 3600_000,
      judgeAfterAnswers: 100,
      delayAboveSlowShare: 0.1,
      dropFromSlowShare: 0.15,
      throttledDelayMs: 10 * 60_000,
    });
    expect(GRAPH_DELIVERY.maxAttempts).toBeUndefined(); // time, not a count, ends the retries
  });

  it('gives every attempt the same timeout: a retry of a slow endpoint times out too', async () => {
    const notifier = new Notifier({ timeoutMs: 100, slowAfterMs: 90, retryBaseMs: 10, maxAttempts: 3 }, 't');
    receiver.answer(202, 300); // always slower than the timeout
    notifier.lifecycle(subscriptionTo(receiver.url), 'reauthorizationRequired');
    await notifier.drain();
    expect(notifier.stats).toMatchObject({ attempts: 3, failures: 3, deliveries: 0, abandoned: 1, slow: 3 });
  });

  it('retries a failing delivery until the retry period is over, then abandons it', async () => {
    const notifier = new Notifier({ retryBaseMs: 20, retryForMs: 1000 }, 't');
    receiver.answer(503);
    notifier.lifecycle(subscriptionTo(receiver.url), 'reauthorizationRequired');
    await notifier.drain();
    expect(notifier.stats.abandoned).toBe(1);
    expect(notifier.stats.retries).toBeGreaterThanOrEqual(1);
    expect(notifier.stats.attempts).toBe(notifier.stats.retries + 1);
    expect(receiver.bodies.length).toBe(notifier.stats.attempts);
  });

  it('delays deliveries to an endpoint with more than 10% slow answers, and drops them from 15%', async () => {
    // Slowness is simulated on the notifier's clock (Graph's 2,900 ms, no real waiting), so a loaded
    // machine cannot turn a fast answer slow: each slow answer adds 3 s to the clock as it is answered.
    let simulated = 0;
    const notifier = new Notifier(
      { judgeAfterAnswers: 20, throttledDelayMs: 30, clock: () => performance.now() + simulated },
      't',
    );
    const subscription = subscriptionTo(receiver.url);
    const deliver = async (times: number, slow: boolean) => {
      for (let i = 0; i < times; i++) {
        receiver.onAnswer = () => (simulated += slow ? 3000 : 0);
        notifier.lifecycle(subscription, 'reauthorizationRequired');
        await notifier.drain();
      }
    };
    await deliver(21, false);
    await deliver(2, true); // 2 of 23 slow, 8.7%: still normal
    expect(notifier.endpointHealth(receiver.url)).toEqual({ answers: 23, slow: 2, state: 'normal' });
    await deliver(1, true); // 3 of 24, 12.5%: delayed
    expect(notifier.endpointHealth(receiver.url).state).toBe('delayed');
    await deliver(1, false); // delivered, but held back first; 3 of 25, 12%
    expect(notifier.stats.delayed).toBe(1);
    expect(receiver.bodies).toHaveLength(25);
    expect(notifier.endpointHealth(receiver.url).state).toBe('delayed');
    await deliver(1, true); // held back, delivered; 4 of 26, 15.4%: dropped from now on
    expect(notifier.stats.delayed).toBe(2);
    expect(notifier.endpointHealth(receiver.url).state).toBe('dropping');
    await deliver(1, false);
    expect(receiver.bodies).toHaveLength(26);
    expect(notifier.stats).toMatchObject({ droppedSlow: 1, slow: 4, deliveries: 26 });
    // The judgement is per endpoint (URL without its query): another key does not escape it.
    expect(notifier.endpointHealth(receiver.url.replace('code=key', 'code=other')).state).toBe('dropping');
  });

  it('shows each endpoint and its state in the control API stats', async () => {
    await withSimulator(
      { notifier: { slowAfterMs: 250, judgeAfterAnswers: 2 }, reauthorizationEveryMs: false },
      async (sim) => {
        receiver.answer(202, 600);
        for (let i = 0; i < 2; i++) {
          sim.notifier.lifecycle(subscriptionTo(receiver.url), 'reauthorizationRequired');
          await sim.deliveriesSettled();
        }
        const { body } = await controlCall(sim, 'GET', '/stats');
        expect(body.endpoints[receiver.url.replace('?code=key', '')]).toEqual({
          answers: 2,
          slow: 2,
          state: 'dropping',
        });
      },
    );
  });

  it('refuses a clientState over 128 characters', async () => {
    await withSimulator({ reauthorizationEveryMs: false }, async (sim, token) => {
      const definition = (await graphCall(sim, token, 'POST', '/print/taskDefinitions', { displayName: 'cs' })).body;
      const subscribe = (clientState: string) =>
        graphCall(sim, token, 'POST', '/subscriptions', {
          changeType: 'created',
          resource: `print/taskDefinitions/${definition.id}/tasks`,
          notificationUrl: receiver.url,
          clientState,
          expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
        });
      const tooLong = await subscribe('x'.repeat(129));
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error.message).toMatch(/at most 128/);
      expect((await subscribe('x'.repeat(128))).status).toBe(201);
    });
  });

  it('sends reauthorizationRequired again and again, not once per expiry', async () => {
    await withSimulator(
      { reauthorizationEveryMs: { minMs: 20, maxMs: 60 }, sweepIntervalMs: 10, lifecycleLeadMinutes: 0 },
      async (sim, token) => {
        const definition = (await graphCall(sim, token, 'POST', '/print/taskDefinitions', { displayName: 'lc' })).body;
        const created = await graphCall(sim, token, 'POST', '/subscriptions', {
          changeType: 'created',
          resource: `print/taskDefinitions/${definition.id}/tasks`,
          notificationUrl: receiver.url,
          lifecycleNotificationUrl: receiver.url,
          clientState: 'lc',
          expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
        });
        expect(created.status).toBe(201);
        const challenges = () =>
          receiver.bodies.flatMap((b) => b.value).filter((e) => e.lifecycleEvent === 'reauthorizationRequired');
        await waitFor('three challenges', () => challenges().length >= 3);
        expect(challenges()[0]).toMatchObject({ subscriptionId: created.body.id, clientState: 'lc' });
      },
    );
  });

  it('refuses lifecycle events Graph never sends for print (400 with the reason) unless a lenient flag allows them', async () => {
    const subscribeAndSend = async (sim: Simulator, token: string, event: string) => {
      const definition = (await graphCall(sim, token, 'POST', '/print/taskDefinitions', { displayName: 'ev' })).body;
      const created = await graphCall(sim, token, 'POST', '/subscriptions', {
        changeType: 'created',
        resource: `print/taskDefinitions/${definition.id}/tasks`,
        notificationUrl: receiver.url,
        lifecycleNotificationUrl: receiver.url,
        clientState: 'ev',
        expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
      });
      return controlCall(sim, 'POST', `/subscriptions/${created.body.id}/lifecycle`, { event });
    };
    await withSimulator({ reauthorizationEveryMs: false }, async (sim, token) => {
      for (const event of ['subscriptionRemoved', 'missed']) {
        const refused = await subscribeAndSend(sim, token, event);
        expect(refused.status).toBe(400);
        expect(refused.body.error.message).toMatch(/only reauthorizationRequired.*nonPrintLifecycleEvents/);
        sim.tenant.subscriptions.clear();
      }
      expect((await subscribeAndSend(sim, token, 'reauthorizationRequired')).status).toBe(200);
    });
    await withSimulator(
      { reauthorizationEveryMs: false, lenient: { nonPrintLifecycleEvents: true } },
      async (sim, token) => {
        expect((await subscribeAndSend(sim, token, 'subscriptionRemoved')).status).toBe(200);
      },
    );
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHttpListener } from '../../sandbox/host/http-listener';
import { Notifier } from '../../sandbox/simulator/notifier';
import type { SimSubscription } from '../../sandbox/simulator/model';

/**
 * Stopping leaves nothing running: work left going after stop() calls servers that are gone,
 * retries on timers, and keeps the process (a jest worker) alive after the tests.
 */
describe('sandbox parts leave nothing running once stopped', () => {
  it('the host HTTP listener waits for a function still running when it stops', async () => {
    let finish: () => void = () => undefined;
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    let finished = false;
    const listener = await startHttpListener({
      port: 0,
      routePrefix: 'api',
      registrations: [
        {
          name: 'slow',
          route: 'slow',
          methods: ['GET'],
          authLevel: 'anonymous',
          handler: async () => {
            started();
            await new Promise<void>((resolve) => (finish = resolve));
            finished = true;
            return { status: 200 };
          },
        },
      ],
      log: () => undefined,
      keys: undefined,
    });
    const call = fetch(`${listener.url}/api/slow`).catch(() => undefined);
    await running;
    let stopped = false;
    const stopping = listener.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(finished).toBe(true);
    await call;
  });

  it('the simulator notifier neither retries nor waits once stopped with a delivery under way', async () => {
    let received: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (received = resolve));
    // An endpoint that never answers: the delivery is under way when the notifier stops.
    const server = http.createServer(() => received());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lifecycle`;
    try {
      const notifier = new Notifier({ timeoutMs: 10_000, retryBaseMs: 60_000 }, 'tenant');
      notifier.lifecycle({ id: 'sub', lifecycleNotificationUrl: url, clientState: null } as SimSubscription, 'x');
      await arrived;
      notifier.stop();
      const before = Date.now();
      await notifier.drain();
      expect(Date.now() - before).toBeLessThan(1000);
      expect(notifier.stats.retries).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

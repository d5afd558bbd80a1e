import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { HostLogEntry } from '../../sandbox/host/invocation';
import { startTcpSwitch, type TcpSwitch } from '../support/tcp-switch';
import { waitFor } from '../support/wait';

/**
 * Storage goes away while Graph is delivering notifications: the webhook answers 503, Graph (the
 * simulator) retries with back-off, storage comes back, and every job is still released.
 */
describe('storage outage during ingestion', () => {
  let sandbox: Sandbox;
  let relay: TcpSwitch;
  const logs: HostLogEntry[] = [];

  beforeAll(async () => {
    // The webhook reaches the queue through a switchable relay; the rest of the sandbox does not.
    sandbox = await startSandbox({
      hostPort: 0,
      log: (e) => logs.push(e),
      simulator: { notifier: { retryBaseMs: 300, maxAttempts: 8 } },
    });
    const queuePort = Number(new URL(sandbox.azurite.queueUrl).port);
    relay = await startTcpSwitch(queuePort);
    sandbox.host.reconfigure({
      AzureWebJobsStorage: sandbox.azurite.connectionString.replace(
        `QueueEndpoint=http://127.0.0.1:${queuePort}`,
        `QueueEndpoint=http://127.0.0.1:${relay.port}`,
      ),
    });
  }, 60000);
  afterAll(async () => {
    await sandbox?.stop();
    await relay?.close();
  });

  it('answers 503 while storage is down, and loses nothing once it is back', async () => {
    relay.down();
    const { tenant, demo } = sandbox.simulator;
    const jobs = Array.from(
      { length: 5 },
      () => tenant.submitJob({ printerId: demo!.printers.library.id, userPrincipalName: 'adele@contoso.example' }).job,
    );
    await waitFor('a 503 from the webhook', () =>
      logs.some((l) => l.message.includes('"event":"notification.queue-failed"')),
    );
    expect(jobs.every((j) => j.status.state === 'paused')).toBe(true);
    await waitFor('Graph to see the failure', () => sandbox.simulator.notifier.stats.failures > 0);

    relay.up();
    await waitFor('every job to print', () => jobs.every((j) => j.status.state === 'completed'), 30000);
    expect(sandbox.simulator.notifier.stats.abandoned).toBe(0);
    expect(sandbox.simulator.notifier.stats.retries).toBeGreaterThan(0);
  }, 45000);
});

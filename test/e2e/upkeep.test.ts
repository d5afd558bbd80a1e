import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { HostLogEntry } from '../../sandbox/host/invocation';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { ensureTaskDefinition } from '../../src/setup/ensure-task-definition';
import { waitFor } from '../support/wait';

/** The self-maintenance functions against the simulator: subscription keeper, lifecycle URL, reconciler. */
describe('keeping the plumbing alive', () => {
  let sandbox: Sandbox;
  const logs: HostLogEntry[] = [];
  const events = (name: string) =>
    logs
      .filter((l) => l.message.includes(`"event":"${name}"`))
      .map((l) => JSON.parse(l.message) as Record<string, unknown>);
  const subscriptions = () => [...sandbox.simulator.tenant.subscriptions.values()];

  beforeAll(async () => {
    sandbox = await startSandbox({
      hostPort: 0,
      log: (e) => logs.push(e),
      hostJson: path.join(__dirname, '..', 'fixtures', 'host.sandbox-fast.json'),
      settings: { RELEASE_GATE_RECONCILE_GRACE_MINUTES: '0' },
    });
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it('subscribed both URLs with the function key, which Graph validated against the strict host', () => {
    const [subscription] = subscriptions();
    const key = sandbox.settings.RELEASE_GATE_FUNCTION_KEY!;
    expect(key).toBe(sandbox.host.keys.host['graph-notifications']);
    for (const url of [subscription!.notificationUrl, subscription!.lifecycleNotificationUrl!]) {
      expect(new URL(url).searchParams.get('code')).toBe(key);
      expect(new URL(url).searchParams.get('cs')).toMatch(/^[0-9a-f]{8}$/);
    }
    expect(events('lifecycle.handshake').length).toBeGreaterThanOrEqual(1);
  });

  it('re-running set-up changes nothing', async () => {
    const before = subscriptions().map((s) => s.id);
    expect((await ensureTaskDefinition(sandbox.api, { appId: DEMO_APP_CLIENT_ID })).created).toBe(false);
    await sandbox.host.runTimer('maintain-subscription');
    expect(events('subscription.checked').at(-1)).toMatchObject({
      action: 'unchanged',
      minutesLeft: expect.any(Number),
    });
    expect(subscriptions().map((s) => s.id)).toEqual(before);
  });

  it('renews a subscription that is close to expiry', async () => {
    const [subscription] = subscriptions();
    subscription!.expirationDateTime = new Date(Date.now() + 60 * 60_000).toISOString();
    await sandbox.host.runTimer('maintain-subscription');
    expect(events('subscription.checked').at(-1)).toMatchObject({ action: 'renewed' });
    const left = (Date.parse(subscriptions()[0]!.expirationDateTime) - Date.now()) / 60_000;
    expect(left).toBeGreaterThan(4190);
    expect(left).toBeLessThanOrEqual(4230);
  });

  it('recreates a subscription deleted behind its back (with a new handshake), and jobs flow again', async () => {
    sandbox.simulator.tenant.subscriptions.clear();
    const handshakes = events('notification.handshake').length;
    await sandbox.host.runTimer('maintain-subscription');
    expect(events('subscription.checked').at(-1)).toMatchObject({ action: 'created' });
    expect(events('notification.handshake').length).toBeGreaterThan(handshakes); // Graph validated the URL again
    const { job } = sandbox.simulator.tenant.submitJob({
      printerId: sandbox.simulator.demo!.printers.library.id,
      userPrincipalName: 'adele@contoso.example',
    });
    await waitFor('the job to print', () => job.status.state === 'completed');
  });

  it('renews on a reauthorizationRequired lifecycle event, through the control queue', async () => {
    const [subscription] = subscriptions();
    sandbox.simulator.notifier.lifecycle(subscription!, 'reauthorizationRequired');
    await waitFor(
      'the renewal',
      () => events('lifecycle.received')[0] && events('subscription.checked').at(-1)?.action === 'renewed',
    );
  });

  it('reauthorizes on every reauthorizationRequired, however often Graph sends it, keeping one subscription', async () => {
    const [subscription] = subscriptions();
    const renewedBefore = events('subscription.checked').filter((e) => e.action === 'renewed').length;
    const receivedBefore = events('lifecycle.received').length;
    for (let i = 0; i < 3; i++) {
      sandbox.simulator.notifier.lifecycle(subscriptions()[0]!, 'reauthorizationRequired');
      await sandbox.simulator.deliveriesSettled();
      await waitFor(
        'the renewal',
        () => events('subscription.checked').filter((e) => e.action === 'renewed').length >= renewedBefore + i + 1,
      );
    }
    expect(events('lifecycle.received').length).toBe(receivedBefore + 3);
    expect(subscriptions().map((s) => s.id)).toEqual([subscription!.id]);
  });

  it('moves the subscription to a rotated function key (both URLs), as it does for a rotated clientState', async () => {
    const before = subscriptions()[0]!;
    const rotated = 'rotated-function-key-0123456789abcdef0123456789';
    sandbox.host.keys.host['graph-notifications'] = rotated; // the platform's key changed…
    sandbox.host.reconfigure({ RELEASE_GATE_FUNCTION_KEY: rotated }); // …and so did the secret the app reads
    await sandbox.host.runTimer('maintain-subscription');
    expect(events('subscription.checked').at(-1)).toMatchObject({ action: 'replaced' });
    const after = subscriptions()[0]!;
    expect(after.id).not.toBe(before.id);
    expect(new URL(after.notificationUrl).searchParams.get('code')).toBe(rotated);
    expect(new URL(after.lifecycleNotificationUrl!).searchParams.get('code')).toBe(rotated);
    const { job } = sandbox.simulator.tenant.submitJob({
      printerId: sandbox.simulator.demo!.printers.library.id,
      userPrincipalName: 'adele@contoso.example',
    });
    await waitFor('the job to print', () => job.status.state === 'completed');
  });

  it('moves the subscription to a rotated clientState, accepting the old one meanwhile', async () => {
    const old = sandbox.host.settings.RELEASE_GATE_CLIENT_STATE!;
    sandbox.host.reconfigure({
      RELEASE_GATE_CLIENT_STATE: 'rotated-client-state-0123456789',
      RELEASE_GATE_CLIENT_STATE_PREVIOUS: old,
    });
    const before = subscriptions()[0]!;
    await sandbox.host.runTimer('maintain-subscription');
    expect(events('subscription.checked').at(-1)).toMatchObject({ action: 'replaced' });
    const after = subscriptions()[0]!;
    expect(after.id).not.toBe(before.id);
    expect(after.clientState).toBe('rotated-client-state-0123456789');
    // A notification still signed with the old value (sent before the move) is accepted.
    const resource = `print/taskDefinitions/${sandbox.taskDefinitionId}/tasks/late-old-state`;
    const late = await fetch(after.notificationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        value: [
          {
            subscriptionId: before.id,
            changeType: 'created',
            clientState: old,
            tenantId: sandbox.simulator.tenantId,
            resource,
          },
        ],
      }),
    });
    expect(late.status).toBe(202);
    expect(events('notification.accepted').some((e) => e.taskId === 'late-old-state')).toBe(true);
    const { job } = sandbox.simulator.tenant.submitJob({
      printerId: sandbox.simulator.demo!.printers.library.id,
      userPrincipalName: 'adele@contoso.example',
    });
    await waitFor('the job to print', () => job.status.state === 'completed');
  });

  it('releases a job whose notification never came, through the reconciler', async () => {
    sandbox.simulator.notifier.dropNext(sandbox.taskDefinitionId, 1);
    const { job, task } = sandbox.simulator.tenant.submitJob({
      printerId: sandbox.simulator.demo!.printers.floor1Color.id,
      userPrincipalName: 'megan@contoso.example',
    });
    await sandbox.simulator.deliveriesSettled();
    expect(sandbox.simulator.notifier.stats.dropped).toBe(1);
    await sandbox.host.runTimer('reconcile-tasks'); // first sighting
    expect(events('reconciler.finished').at(-1)).toMatchObject({ processing: 1, waiting: 1, queued: 0 });
    await sandbox.host.runTimer('reconcile-tasks'); // past the grace period: queued
    expect(events('reconciler.finished').at(-1)).toMatchObject({ queued: 1 });
    await waitFor('the job to print', () => job.status.state === 'completed');
    expect(task!.status.state).toBe('completed');
    await sandbox.host.queuesIdle();
    await sandbox.host.runTimer('reconcile-tasks');
    expect(events('reconciler.finished').at(-1)).toMatchObject({ processing: 0 });
  });
});

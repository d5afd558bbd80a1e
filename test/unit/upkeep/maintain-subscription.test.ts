import type { PrintApi } from '../../../src/graph/print-api';
import type { Subscription } from '../../../src/graph/print-schemas';
import { createLog } from '../../../src/observability/log';
import { FunctionKeyMissingError } from '../../../src/upkeep/function-key';
import {
  maintainSubscription,
  RENEW_WHEN_LESS_THAN_MINUTES,
  SUBSCRIPTION_LIFETIME_MINUTES,
  type KeeperAction,
  type SubscriptionTarget,
} from '../../../src/upkeep/maintain-subscription';

/** A Graph with just the subscription calls, recording what the keeper asked of it. */
function fakeGraph(options: { lifetimeMinutes?: number; failCreate?: boolean } = {}) {
  const subscriptions = new Map<string, Subscription>();
  const calls: string[] = [];
  let next = 1;
  const expiry = (requested: string) =>
    options.lifetimeMinutes === undefined
      ? requested
      : new Date(Date.now() + options.lifetimeMinutes * 60_000).toISOString();
  const api = {
    async listSubscriptions() {
      calls.push('list');
      return [...subscriptions.values()];
    },
    async createSubscription(input: {
      resource: string;
      changeType: string;
      notificationUrl: string;
      lifecycleNotificationUrl?: string;
      clientState: string;
      expirationDateTime: string;
    }) {
      calls.push('create');
      if (options.failCreate) throw new Error('Subscription validation request failed');
      const subscription: Subscription = {
        id: `s${next++}`,
        ...input,
        expirationDateTime: expiry(input.expirationDateTime),
      };
      subscriptions.set(subscription.id, subscription);
      return subscription;
    },
    async renewSubscription(id: string, expirationDateTime: string) {
      calls.push('renew');
      const subscription = subscriptions.get(id)!;
      subscription.expirationDateTime = expiry(expirationDateTime);
      return subscription;
    },
    async deleteSubscription(id: string) {
      calls.push('delete');
      subscriptions.delete(id);
    },
  };
  return { api: api as unknown as PrintApi, subscriptions, calls };
}

const log = createLog({ info: () => undefined, warn: () => undefined, error: () => undefined });
const target = (overrides: Partial<SubscriptionTarget> = {}): SubscriptionTarget => ({
  taskDefinitionId: '6a0f3c2e-1b4d-4e8f-9a7b-2c3d4e5f6a7b',
  notificationUrl: 'https://func.example.net/api/notifications',
  lifecycleUrl: 'https://func.example.net/api/lifecycle',
  clientState: 'client-state',
  functionKey: 'key-one',
  ...overrides,
});
const signals = () => {
  const healthy: KeeperAction[] = [];
  return { healthy, signals: { subscriptionHealthy: (action: KeeperAction) => healthy.push(action) } };
};

describe('the subscription keeper', () => {
  it('puts the function key (code) and the clientState fingerprint (cs) on both URLs', async () => {
    const graph = fakeGraph();
    const report = await maintainSubscription(graph.api, target(), log);
    expect(report.action).toBe('created');
    for (const url of [report.subscription.notificationUrl, report.subscription.lifecycleNotificationUrl!]) {
      expect(new URL(url).searchParams.get('code')).toBe('key-one');
      expect(new URL(url).searchParams.get('cs')).toMatch(/^[0-9a-f]{8}$/);
    }
  });

  it('refuses to create or change anything for public URLs without a key', async () => {
    const graph = fakeGraph();
    await maintainSubscription(graph.api, target(), log);
    graph.calls.length = 0;
    await expect(maintainSubscription(graph.api, target({ functionKey: undefined }), log)).rejects.toBeInstanceOf(
      FunctionKeyMissingError,
    );
    expect(graph.calls).toEqual([]);
    // On loopback (Core Tools, which checks no keys) a keyless subscription is allowed.
    const local = fakeGraph();
    const report = await maintainSubscription(
      local.api,
      target({
        functionKey: undefined,
        notificationUrl: 'http://127.0.0.1:7071/api/notifications',
        lifecycleUrl: 'http://localhost:7071/api/lifecycle',
      }),
      log,
    );
    expect(new URL(report.subscription.lifecycleNotificationUrl!).searchParams.has('code')).toBe(false);
  });

  it('replaces a subscription whose URLs carry an old key (the key was rotated)', async () => {
    const graph = fakeGraph();
    const first = await maintainSubscription(graph.api, target(), log);
    expect((await maintainSubscription(graph.api, target(), log)).action).toBe('unchanged');
    const rotated = await maintainSubscription(graph.api, target({ functionKey: 'key-two' }), log);
    expect(rotated.action).toBe('replaced');
    expect(graph.subscriptions.has(first.subscription.id)).toBe(false);
    expect(
      [...graph.subscriptions.values()].map((s) => new URL(s.lifecycleNotificationUrl!).searchParams.get('code')),
    ).toEqual(['key-two']);
  });

  it('replaces a subscription whose lifecycle URL lacks the key (made by an older version)', async () => {
    const graph = fakeGraph();
    const report = await maintainSubscription(graph.api, target(), log);
    graph.subscriptions.get(report.subscription.id)!.lifecycleNotificationUrl =
      'https://func.example.net/api/lifecycle';
    expect((await maintainSubscription(graph.api, target(), log)).action).toBe('replaced');
  });

  it('signals a healthy check only when it leaves a subscription with at least 12 hours to live', async () => {
    const healthy = signals();
    const graph = fakeGraph();
    await maintainSubscription(graph.api, target(), log, healthy);
    await maintainSubscription(graph.api, target(), log, healthy);
    expect(healthy.healthy).toEqual(['created', 'unchanged']);

    const failing = signals();
    await expect(maintainSubscription(fakeGraph({ failCreate: true }).api, target(), log, failing)).rejects.toThrow();
    await expect(
      maintainSubscription(fakeGraph().api, target({ functionKey: undefined }), log, failing),
    ).rejects.toThrow();
    // Graph granted far less than asked: the check ran but the subscription is about to lapse.
    await maintainSubscription(fakeGraph({ lifetimeMinutes: 60 }).api, target(), log, failing);
    expect(failing.healthy).toEqual([]);
  });

  describe('over time (fake timers)', () => {
    beforeEach(() => {
      jest.useFakeTimers();
      jest.setSystemTime(new Date('2026-12-02T12:00:00Z'));
    });
    afterEach(() => jest.useRealTimers());
    const hours = (n: number) => jest.advanceTimersByTime(n * 3_600_000);

    it('creates once, leaves it while more than a day is left, then renews it to the full lifetime', async () => {
      const graph = fakeGraph();
      const created = await maintainSubscription(graph.api, target(), log);
      expect(created).toMatchObject({ action: 'created', minutesLeft: SUBSCRIPTION_LIFETIME_MINUTES });
      hours(SUBSCRIPTION_LIFETIME_MINUTES / 60 - RENEW_WHEN_LESS_THAN_MINUTES / 60 - 1);
      expect((await maintainSubscription(graph.api, target(), log)).action).toBe('unchanged');
      hours(2);
      const renewed = await maintainSubscription(graph.api, target(), log);
      expect(renewed).toMatchObject({ action: 'renewed', minutesLeft: SUBSCRIPTION_LIFETIME_MINUTES });
      expect(renewed.subscription.id).toBe(created.subscription.id);
      expect(graph.calls).toEqual(['list', 'create', 'list', 'list', 'renew']);
    });

    it('a reauthorization (forceRenew) renews a healthy subscription at once', async () => {
      const graph = fakeGraph();
      await maintainSubscription(graph.api, target(), log);
      hours(1);
      const report = await maintainSubscription(graph.api, target(), log, { forceRenew: true });
      expect(report).toMatchObject({ action: 'renewed', minutesLeft: SUBSCRIPTION_LIFETIME_MINUTES });
    });

    it('a subscription Graph dropped (it expired) is created again; strays at other URLs are removed', async () => {
      const graph = fakeGraph();
      const first = await maintainSubscription(graph.api, target(), log);
      graph.subscriptions.delete(first.subscription.id);
      await maintainSubscription(
        graph.api,
        target({ notificationUrl: 'https://old.example.net/api/notifications' }),
        log,
      );
      graph.calls.length = 0;
      const again = await maintainSubscription(graph.api, target(), log);
      expect(again.action).toBe('created');
      expect(graph.calls).toEqual(['list', 'delete', 'create']);
      expect([...graph.subscriptions.values()].map((s) => new URL(s.notificationUrl).host)).toEqual([
        'func.example.net',
      ]);
    });
  });
});

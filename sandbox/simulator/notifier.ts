import { randomBytes, randomUUID } from 'node:crypto';
import type { SimSubscription, SimTask } from './model';

/**
 * Delivers change notifications like Graph's webhook channel: batched `value[]` per URL, the
 * first try with a 3-second timeout, retries with exponential back-off (10 s timeout) on any
 * non-2xx or timeout, and statistics on what happened. Also the validation handshake.
 */
export interface NotifierOptions {
  firstTimeoutMs: number;
  retryTimeoutMs: number;
  /** First retry delay; doubles each time. Graph waits minutes; tests want milliseconds. */
  retryBaseMs: number;
  maxAttempts: number;
  batchWindowMs: number;
  validationTimeoutMs: number;
}

export interface DeliveryStats {
  deliveries: number;
  notifications: number;
  attempts: number;
  failures: number;
  retries: number;
  slow: number;
  dropped: number;
  abandoned: number;
  lifecycleEvents: number;
  latenciesMs: number[];
}

interface PendingBatch {
  url: string;
  items: Record<string, unknown>[];
  timer: NodeJS.Timeout;
}

export class Notifier {
  readonly stats: DeliveryStats = {
    deliveries: 0,
    notifications: 0,
    attempts: 0,
    failures: 0,
    retries: 0,
    slow: 0,
    dropped: 0,
    abandoned: 0,
    lifecycleEvents: 0,
    latenciesMs: [],
  };
  /** Notifications to swallow per task definition (fault: "a notification that never comes"). */
  private readonly drops = new Map<string, number>();
  private readonly batches = new Map<string, PendingBatch>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly options: NotifierOptions,
    private readonly tenantId: string,
  ) {}

  dropNext(definitionId: string, count: number): void {
    this.drops.set(definitionId, (this.drops.get(definitionId) ?? 0) + count);
  }

  /** Graph's handshake: POST ?validationToken=…, expect 200 with the decoded token within 10 s. */
  async validate(url: string): Promise<{ ok: boolean; reason?: string }> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()} & <${randomBytes(4).toString('hex')}>`;
    const target = new URL(url);
    target.searchParams.set('validationToken', token);
    try {
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '',
        signal: AbortSignal.timeout(this.options.validationTimeoutMs),
      });
      const body = await response.text();
      if (response.status !== 200) return { ok: false, reason: `the endpoint answered ${response.status}` };
      if (!/^text\/plain/i.test(response.headers.get('content-type') ?? ''))
        return { ok: false, reason: 'the answer was not text/plain' };
      if (body !== token) return { ok: false, reason: 'the answer did not echo the decoded validation token' };
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `the endpoint did not answer in time (${(error as Error).message})` };
    }
  }

  /** A task was created: notify every subscription on its definition (batched per URL). */
  taskCreated(task: SimTask, subscriptions: Iterable<SimSubscription>, jobUrl: string): void {
    const resourceOf = (definitionId: string) => `print/taskDefinitions/${definitionId}/tasks`;
    for (const subscription of subscriptions) {
      if (subscription.resource.replace(/^\//, '').toLowerCase() !== resourceOf(task.definitionId).toLowerCase())
        continue;
      const toDrop = this.drops.get(task.definitionId) ?? 0;
      if (toDrop > 0) {
        this.drops.set(task.definitionId, toDrop - 1);
        this.stats.dropped++;
        continue;
      }
      const resource = `print/taskDefinitions/${task.definitionId}/tasks/${task.id}`;
      this.enqueue(subscription.notificationUrl, {
        id: randomUUID(),
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: subscription.expirationDateTime,
        changeType: 'created',
        clientState: subscription.clientState,
        tenantId: this.tenantId,
        resource,
        resourceData: {
          '@odata.type': '#microsoft.graph.printTask',
          '@odata.id': resource,
          '@odata.etag': `W/"${randomBytes(4).toString('hex')}"`,
          id: task.id,
          parentUrl: jobUrl,
        },
      });
    }
  }

  /** A lifecycle event (reauthorizationRequired, subscriptionRemoved, missed) to the lifecycle URL. */
  lifecycle(subscription: SimSubscription, event: string): void {
    if (!subscription.lifecycleNotificationUrl) return;
    this.stats.lifecycleEvents++;
    this.send(subscription.lifecycleNotificationUrl, [
      {
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: subscription.expirationDateTime,
        tenantId: this.tenantId,
        clientState: subscription.clientState,
        lifecycleEvent: event,
      },
    ]);
  }

  /** Resolves when every batch and delivery (with its retries) has finished. */
  async drain(): Promise<void> {
    while (this.batches.size > 0 || this.inFlight.size > 0) {
      for (const batch of this.batches.values()) this.flush(batch.url);
      await Promise.all([...this.inFlight]);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const batch of this.batches.values()) clearTimeout(batch.timer);
    this.batches.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private enqueue(url: string, item: Record<string, unknown>): void {
    const pending = this.batches.get(url);
    if (pending) {
      pending.items.push(item);
      return;
    }
    const timer = setTimeout(() => this.flush(url), this.options.batchWindowMs);
    this.batches.set(url, { url, items: [item], timer });
  }

  private flush(url: string): void {
    const batch = this.batches.get(url);
    if (!batch) return;
    clearTimeout(batch.timer);
    this.batches.delete(url);
    this.send(url, batch.items);
  }

  private send(url: string, items: Record<string, unknown>[]): void {
    const body = JSON.stringify({ value: items });
    const work = this.deliver(url, body, items.length, 1);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async deliver(url: string, body: string, count: number, attempt: number): Promise<void> {
    if (this.stopped) return;
    this.stats.attempts++;
    const timeoutMs = attempt === 1 ? this.options.firstTimeoutMs : this.options.retryTimeoutMs;
    const started = performance.now();
    let ok = false;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer();
      ok = response.status >= 200 && response.status < 300;
    } catch {
      ok = false;
    }
    const elapsed = performance.now() - started;
    this.stats.latenciesMs.push(elapsed);
    if (elapsed > timeoutMs * 0.966) this.stats.slow++; // Graph counts > 2900 ms of 3000 as slow
    if (ok) {
      this.stats.deliveries++;
      this.stats.notifications += count;
      return;
    }
    this.stats.failures++;
    if (attempt >= this.options.maxAttempts) {
      this.stats.abandoned += count;
      return;
    }
    this.stats.retries++;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          resolve();
        },
        this.options.retryBaseMs * 2 ** (attempt - 1),
      );
      this.timers.add(timer);
    });
    await this.deliver(url, body, count, attempt + 1);
  }
}

import { randomBytes, randomUUID } from 'node:crypto';
import type { SimSubscription, SimTask } from './model';

/**
 * Delivers change notifications like Graph's webhook channel (change-notifications-delivery-webhooks):
 * batched `value[]` per URL; a 3-second timeout on every attempt; failures (non-2xx or timeout)
 * retried with exponential back-off for up to 4 hours; an answer over 2,900 ms counts as slow; once
 * more than 10 % of an endpoint's recent answers (judged after 100) are slow, deliveries to it are
 * delayed by 10 minutes and its failures retried 10 minutes later, and at 15 % they are dropped.
 * Also the validation handshake. Every duration is an option, so tests can scale the schedule down.
 */
export interface NotifierOptions {
  /** Timeout of every attempt, first or retry (Graph: 3 s). */
  timeoutMs: number;
  /** An answer slower than this counts as slow (Graph: 2,900 ms). */
  slowAfterMs: number;
  /** First retry delay; doubles each time up to maxRetryDelayMs. */
  retryBaseMs: number;
  maxRetryDelayMs: number;
  /** A failed delivery is retried until this long after its first attempt, then abandoned (Graph: 4 h). */
  retryForMs: number;
  /** Caps the attempts as well (tests that want a failing delivery to end quickly); unset: time only. */
  maxAttempts?: number;
  batchWindowMs: number;
  validationTimeoutMs: number;
  /** An endpoint is judged once it has answered this often within the window (Graph: 100). */
  judgeAfterAnswers: number;
  /** Answers older than this no longer count towards an endpoint's slow share. */
  judgeWindowMs: number;
  /** Slow share above which deliveries are delayed (Graph: 10 %), and from which they are dropped (15 %). */
  delayAboveSlowShare: number;
  dropFromSlowShare: number;
  /** Delay of deliveries to a delayed endpoint, and of its retries (Graph: 10 minutes). */
  throttledDelayMs: number;
  /** Where answer times are read (tests add simulated latency to it; default performance.now). */
  clock?: () => number;
}

/** Graph's documented behaviour, in real time. */
export const GRAPH_DELIVERY: NotifierOptions = {
  timeoutMs: 3000,
  slowAfterMs: 2900,
  retryBaseMs: 1000,
  maxRetryDelayMs: 15 * 60_000,
  retryForMs: 4 * 3600_000,
  batchWindowMs: 20,
  validationTimeoutMs: 10_000,
  judgeAfterAnswers: 100,
  judgeWindowMs: 10 * 60_000,
  delayAboveSlowShare: 0.1,
  dropFromSlowShare: 0.15,
  throttledDelayMs: 10 * 60_000,
};

export type EndpointState = 'normal' | 'delayed' | 'dropping';

export interface EndpointHealth {
  /** Answers and slow answers within the judging window. */
  answers: number;
  slow: number;
  state: EndpointState;
}

export interface DeliveryStats {
  deliveries: number;
  notifications: number;
  attempts: number;
  failures: number;
  retries: number;
  slow: number;
  /** Notifications swallowed by the "never comes" fault (dropNext). */
  dropped: number;
  /** Notifications abandoned after the retry period (or maxAttempts). */
  abandoned: number;
  /** Deliveries held back because their endpoint was delayed for slowness. */
  delayed: number;
  /** Notifications dropped because their endpoint was too slow. */
  droppedSlow: number;
  lifecycleEvents: number;
  latenciesMs: number[];
  /** Each endpoint (URL without its query) and how Graph judges it now. */
  endpoints: Record<string, EndpointHealth>;
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
    delayed: 0,
    droppedSlow: 0,
    lifecycleEvents: 0,
    latenciesMs: [],
    endpoints: {},
  };
  /** Recent answers per endpoint: when, and whether slow. */
  private readonly answers = new Map<string, { at: number; slow: boolean }[]>();
  /** Notifications to swallow per task definition (fault: "a notification that never comes"). */
  private readonly drops = new Map<string, number>();
  private readonly options: NotifierOptions;
  private readonly batches = new Map<string, PendingBatch>();
  /** Retry waits under way, each with what ends it early (stop). */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  /** Aborts the deliveries under way when the simulator stops (their server is going too). */
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    options: Partial<NotifierOptions>,
    private readonly tenantId: string,
  ) {
    this.options = { ...GRAPH_DELIVERY, ...options };
  }

  /** How Graph judges an endpoint now (after pruning answers older than the window). */
  endpointHealth(url: string): EndpointHealth {
    const key = endpointOf(url);
    const since = Date.now() - this.options.judgeWindowMs;
    const recent = (this.answers.get(key) ?? []).filter((a) => a.at >= since);
    this.answers.set(key, recent);
    const slow = recent.filter((a) => a.slow).length;
    const share = recent.length > 0 ? slow / recent.length : 0;
    const judged = recent.length >= this.options.judgeAfterAnswers;
    const state: EndpointState =
      judged && share >= this.options.dropFromSlowShare
        ? 'dropping'
        : judged && share > this.options.delayAboveSlowShare
          ? 'delayed'
          : 'normal';
    const health = { answers: recent.length, slow, state };
    this.stats.endpoints[key] = health;
    return health;
  }

  /** Forget an endpoint's answers (the control API's way to end a throttling spell at once). */
  resetEndpoint(url: string): void {
    this.answers.delete(endpointOf(url));
    delete this.stats.endpoints[endpointOf(url)];
  }

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

  /**
   * A lifecycle event to the lifecycle URL. For print subscriptions Graph sends only
   * reauthorizationRequired (the control API refuses the others unless a lenient flag allows them).
   */
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
    this.stopping.abort();
    for (const batch of this.batches.values()) clearTimeout(batch.timer);
    this.batches.clear();
    // End the waits now rather than leave their deliveries pending for ever.
    for (const [timer, end] of this.timers) {
      clearTimeout(timer);
      end();
    }
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
    const { state } = this.endpointHealth(url);
    if (state === 'dropping') {
      this.stats.droppedSlow += items.length;
      return;
    }
    const body = JSON.stringify({ value: items });
    const work = (async () => {
      if (state === 'delayed') {
        this.stats.delayed++;
        await this.wait(this.options.throttledDelayMs);
      }
      await this.deliver(url, body, items.length, 1, Date.now());
    })();
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private wait(ms: number): Promise<void> {
    // A delivery whose try was under way at stop() would otherwise start a new retry timer (seconds
    // to minutes, not cleared by stop) and keep the process alive until it fired.
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  private async deliver(url: string, body: string, count: number, attempt: number, firstAt: number): Promise<void> {
    if (this.stopped) return;
    this.stats.attempts++;
    const clock = this.options.clock ?? (() => performance.now());
    const started = clock();
    let ok = false;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.stopping.signal]),
      });
      await response.arrayBuffer();
      ok = response.status >= 200 && response.status < 300;
    } catch {
      ok = false;
    }
    if (this.stopped) return; // stopped meanwhile: an aborted try is no answer to judge or retry
    const elapsed = clock() - started;
    const slow = elapsed > this.options.slowAfterMs; // a timeout is slow too
    this.stats.latenciesMs.push(elapsed);
    if (slow) this.stats.slow++;
    const key = endpointOf(url);
    const recent = this.answers.get(key) ?? [];
    recent.push({ at: Date.now(), slow });
    this.answers.set(key, recent);
    const { state } = this.endpointHealth(url);
    if (ok) {
      this.stats.deliveries++;
      this.stats.notifications += count;
      return;
    }
    this.stats.failures++;
    const backOff =
      state === 'normal'
        ? Math.min(this.options.retryBaseMs * 2 ** (attempt - 1), this.options.maxRetryDelayMs)
        : this.options.throttledDelayMs;
    const outOfTime = Date.now() + backOff - firstAt > this.options.retryForMs;
    if (outOfTime || (this.options.maxAttempts !== undefined && attempt >= this.options.maxAttempts)) {
      this.stats.abandoned += count;
      return;
    }
    this.stats.retries++;
    await this.wait(backOff);
    if (this.stopped) return;
    if (this.endpointHealth(url).state === 'dropping') {
      this.stats.droppedSlow += count;
      return;
    }
    await this.deliver(url, body, count, attempt + 1, firstAt);
  }
}

/** The endpoint Graph judges: the URL without its query string (the function key may change). */
function endpointOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

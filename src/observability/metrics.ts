import type { TokenCredential } from '@azure/core-auth';
import type { Settings } from '../config/settings';
import { managedIdentityCredential } from '../identity/managed-identity';

/**
 * Release Gate's metrics, sent to Application Insights (customMetrics) when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set, through OpenTelemetry and the Azure Monitor exporter.
 * Without it, every call is a no-op and no OpenTelemetry module is ever loaded. The SDK loads in the
 * background on first use; what is recorded meanwhile is kept and replayed, so no caller waits.
 */
export interface Metrics {
  notifications(outcome: string, count: number): void;
  /** One decision; `printerId` lets the workbook and alerts show fail-safe decisions by printer. */
  decision(action: string, rule: string, printerId?: string): void;
  graphCall(operation: string, status: number, durationMs: number): void;
  queueAge(ageMs: number): void;
  poisoned(): void;
  /** The subscription keeper found the subscription healthy; the absence alert counts these. */
  subscriptionHealthy(action: string): void;
  /** Sends what is buffered (tests, shutdown). */
  flush(): Promise<void>;
}

type Record_ = (instruments: Instruments) => void;
interface Instruments {
  notifications: { add(n: number, attributes: Record<string, string>): void };
  decisions: { add(n: number, attributes: Record<string, string>): void };
  graphDuration: { record(ms: number, attributes: Record<string, string | number>): void };
  graphThrottled: { add(n: number, attributes: Record<string, string>): void };
  queueAge: { record(ms: number): void };
  poisoned: { add(n: number): void };
  subscriptionHealthy: { add(n: number, attributes: Record<string, string>): void };
}

/** Metric names the alerts query (infra/modules/alerts.bicep; a test checks they match). */
export const SUBSCRIPTION_HEALTHY_METRIC = 'release_gate.subscription.healthy';

const noop: Metrics = {
  notifications: () => undefined,
  decision: () => undefined,
  graphCall: () => undefined,
  queueAge: () => undefined,
  poisoned: () => undefined,
  subscriptionHealthy: () => undefined,
  flush: async () => undefined,
};

export function createMetrics(options: {
  connectionString?: string;
  credential?: TokenCredential;
  exportIntervalMs?: number;
}): Metrics {
  const { connectionString } = options;
  if (!connectionString) return noop;
  let instruments: Instruments | undefined;
  let provider: { forceFlush(): Promise<void> } | undefined;
  const pending: Record_[] = [];
  let loading: Promise<void> | undefined;
  let warned = false;

  const load = () =>
    (loading ??= (async () => {
      const [{ MeterProvider, PeriodicExportingMetricReader }, { AzureMonitorMetricExporter }] = await Promise.all([
        import('@opentelemetry/sdk-metrics'),
        import('@azure/monitor-opentelemetry-exporter'),
      ]);
      const exporter = new AzureMonitorMetricExporter({
        connectionString,
        ...(options.credential ? { credential: options.credential } : {}),
      });
      const meterProvider = new MeterProvider({
        readers: [
          new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: options.exportIntervalMs ?? 60_000 }),
        ],
      });
      const meter = meterProvider.getMeter('release-gate');
      provider = meterProvider;
      instruments = {
        notifications: meter.createCounter('release_gate.notifications', {
          description: 'Notifications received, by outcome',
        }),
        decisions: meter.createCounter('release_gate.decisions', {
          description: 'Decisions, by action, rule and printer',
        }),
        graphDuration: meter.createHistogram('release_gate.graph.duration', {
          unit: 'ms',
          description: 'Graph call latency',
        }),
        graphThrottled: meter.createCounter('release_gate.graph.throttled', {
          description: 'Graph calls answered 429/503/504',
        }),
        queueAge: meter.createHistogram('release_gate.queue.age', {
          unit: 'ms',
          description: 'Time from notification to processing',
        }),
        poisoned: meter.createCounter('release_gate.tasks.poisoned', {
          description: 'Tasks moved to the poison queue',
        }),
        // Metrics are never sampled (traces are): an alert may count on every one arriving.
        subscriptionHealthy: meter.createCounter(SUBSCRIPTION_HEALTHY_METRIC, {
          description: 'Subscription checks that left a healthy subscription',
        }),
      };
      for (const record of pending.splice(0)) record(instruments);
    })().catch((error: unknown) => {
      // Metrics must never break the app: say so once, and try again on the next record.
      if (!warned) console.warn(`Release Gate metrics are not being sent: ${(error as Error).message}`);
      warned = true;
      loading = undefined;
    }));

  // The SDK loads after the current request's answer has gone: on a cold instance the first
  // notification's metric must not hold its 202 back while OpenTelemetry and the exporter load.
  let scheduled = false;
  const loadSoon = () => {
    if (loading || scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void load();
    });
  };

  const record = (fn: Record_) => {
    if (instruments) return fn(instruments);
    if (pending.length < 10_000) pending.push(fn);
    loadSoon();
  };

  return {
    notifications: (outcome, count) => count > 0 && record((i) => i.notifications.add(count, { outcome })),
    decision: (action, rule, printerId) =>
      record((i) => i.decisions.add(1, { action, rule, ...(printerId ? { printerId } : {}) })),
    graphCall: (operation, status, durationMs) =>
      record((i) => {
        i.graphDuration.record(durationMs, { operation, status });
        if (status === 429 || status === 503 || status === 504)
          i.graphThrottled.add(1, { operation, status: String(status) });
      }),
    queueAge: (ageMs) => record((i) => i.queueAge.record(ageMs)),
    poisoned: () => record((i) => i.poisoned.add(1)),
    subscriptionHealthy: (action) => record((i) => i.subscriptionHealthy.add(1, { action })),
    async flush() {
      await load();
      await provider?.forceFlush();
    },
  };
}

/** The settings metrics are sent with (from the one settings schema, never `process.env` directly). */
export type MetricsSettings = Pick<
  Settings,
  'APPLICATIONINSIGHTS_CONNECTION_STRING' | 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
>;

/**
 * Metrics for these settings. With local authentication disabled on Application Insights,
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING (`ClientId=…;Authorization=AAD`) says to send with the
 * managed identity.
 */
export function metricsFromSettings(config: MetricsSettings): Metrics {
  const auth = config.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '';
  const clientId = /ClientId=([^;]+)/i.exec(auth)?.[1];
  return createMetrics({
    connectionString: config.APPLICATIONINSIGHTS_CONNECTION_STRING || undefined,
    credential: /Authorization=AAD/i.test(auth) ? managedIdentityCredential(clientId) : undefined,
  });
}

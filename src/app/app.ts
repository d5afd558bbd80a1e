import { AsyncLocalStorage } from 'node:async_hooks';
import type { TableClient } from '@azure/data-tables';
import type { QueueServiceClient } from '@azure/storage-queue';
import { parseSettings } from '../config/load-settings';
import type { Settings } from '../config/settings';
import { describeError, type Log } from '../observability/log';
import { metricsFromSettings, type Metrics } from '../observability/metrics';
import { queueFromSettings, type ControlQueue, type MessageQueue, type TaskQueue } from '../queue/task-queue';
import { acceptedClientStates } from '../secrets/client-state';
import type { SecretStore } from '../secrets/secret-store';
import { createQueueServiceClient, createTableClient } from '../storage/storage-clients';
import type { UpkeepDependencies } from '../upkeep/upkeep-jobs';
import type { UserMessage } from '../messages/message-model';
import type { LifecycleDependencies } from '../webhook/receive-lifecycle';
import type { WebhookDependencies } from '../webhook/receive-notifications';
import type { FullApp } from './full-app';
import { secretStoreFromSettings } from './secret-store-from-settings';

/**
 * The one composition root: everything Release Gate builds from its settings, kept for the life of
 * a worker so clients and caches survive between invocations.
 *
 * This is the light part, all the webhook and lifecycle paths load: settings, the secret store,
 * storage clients and queues. It never loads the Graph SDK, `@azure/identity` or the policy; those
 * are in the full part (full-app.ts), loaded with `import()` on first use. The full part's module
 * holds no state: what it builds is kept on the App, so every App (one per local host in the
 * sandbox, one per process in Azure) has its own.
 */
export interface App {
  readonly settings: Settings;
  /** Key Vault in Azure, app settings locally; its cache is shared by every path. */
  readonly secrets: SecretStore;
  readonly queues: {
    readonly tasks: TaskQueue;
    readonly control: ControlQueue;
    /** User messages waiting to be sent (RELEASE_GATE_MESSAGE_QUEUE). */
    readonly messages: MessageQueue<UserMessage>;
  };
  readonly metrics: Metrics;
  readonly queueService: QueueServiceClient;
  table(name: string): TableClient;
  /** Warnings the shared parts raise later (a stale secret) go to the latest invocation's log. */
  useLog(log: Log): void;
  webhook(log: Log): WebhookDependencies;
  lifecycle(log: Log): LifecycleDependencies;
  upkeep(log: Log): UpkeepDependencies;
  /** The Graph client, policy and stores; loaded and built once, on first use. */
  full(log: Log): Promise<FullApp>;
}

export function createApp(env: Record<string, string | undefined>): App {
  const config = parseSettings(env);
  let currentLog: Log | undefined;
  let secrets: SecretStore | undefined;
  let queueService: QueueServiceClient | undefined;
  let queues: App['queues'] | undefined;
  let full: Promise<FullApp> | undefined;
  let appMetrics: Metrics | undefined;
  const app: App = {
    settings: config,
    get secrets() {
      return (secrets ??= secretStoreFromSettings(config, (name, error) =>
        currentLog?.warn('secret.stale', { secret: name, ...describeError(error) }),
      ));
    },
    get queueService() {
      return (queueService ??= createQueueServiceClient(config));
    },
    get queues() {
      return (queues ??= {
        // The storage SDK loads with the first write (see queueFromSettings).
        tasks: queueFromSettings(config, config.RELEASE_GATE_TASK_QUEUE),
        control: queueFromSettings(config, config.RELEASE_GATE_CONTROL_QUEUE),
        messages: queueFromSettings(config, config.RELEASE_GATE_MESSAGE_QUEUE),
      });
    },
    get metrics() {
      // One exporter per App (per process in Azure), batching across invocations.
      return (appMetrics ??= metricsFromSettings(config));
    },
    table: (name) => createTableClient(config, name),
    useLog(log) {
      currentLog = log;
    },
    webhook(log) {
      app.useLog(log);
      return {
        settings: config,
        clientStates: () => acceptedClientStates(app.secrets, config),
        queue: app.queues.tasks,
        log,
        metrics: app.metrics,
      };
    },
    lifecycle(log) {
      app.useLog(log);
      return {
        settings: config,
        clientStates: () => acceptedClientStates(app.secrets, config),
        queue: app.queues.control,
        log,
      };
    },
    upkeep(log) {
      app.useLog(log);
      return {
        settings: config,
        secrets: app.secrets,
        metrics: app.metrics,
        printing: async () => (await app.full(log)).processor(log),
      };
    },
    full(log) {
      app.useLog(log);
      if (!full) {
        full = import('./full-app').then(({ buildFullApp }) => buildFullApp(app));
        full.catch(() => (full = undefined)); // a failed build is tried again, not kept
      }
      return full;
    },
  };
  return app;
}

/**
 * Which App an invocation uses. A host that runs several apps in one process (the sandbox's local
 * host) runs each invocation inside `runWithApp`; otherwise it is the process's own, from
 * `process.env`. Kept on `globalThis` so every copy of this module (the local host reloads modules
 * per host, and `import()` may load a second copy) sees the same context.
 */
const APP_CONTEXT = Symbol.for('release-gate.app-context');
type AppSource = () => App;
type AppGlobals = { [APP_CONTEXT]?: { context: AsyncLocalStorage<AppSource>; processApp?: App } };
const globals = ((globalThis as AppGlobals)[APP_CONTEXT] ??= { context: new AsyncLocalStorage<AppSource>() });

export function currentApp(): App {
  const source = globals.context.getStore();
  return source ? source() : (globals.processApp ??= createApp(process.env));
}

/** Runs `work` (and everything it starts) with the App `source` returns (built when first asked for). */
export function runWithApp<T>(source: AppSource, work: () => T): T {
  return globals.context.run(source, work);
}

/** Forget the process's App (tests change the environment between runs). */
export function resetApp(): void {
  globals.processApp = undefined;
}

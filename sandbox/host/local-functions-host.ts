import type http from 'node:http';
import path from 'node:path';
import { createApp, runWithApp, type App } from '../../src/app/app';
import { readHostSettings, HOST_JSON } from './host-config';
import { createHostKeys, isAuthorized, presentedKey, type HostKeys, type HostKeysInput } from './host-keys';
import { startHttpListener, type HttpListener } from './http-listener';
import { consoleLogSink, type HostLogSink } from './invocation';
import { startQueueListener, type QueueListener } from './queue-listener';
import { provideFunctionsCore } from './functions-core';
import { captureRegistrations, functionFiles, type Registrations } from './registrations';
import { startTimer, type TimerScheduler } from './timer-scheduler';

/**
 * A small stand-in for the Azure Functions host, for the sandbox and for tests: it loads the very
 * same function files, learns their routes, queues and schedules from their `app.*` registrations,
 * and runs them with the host's semantics (see README, "The sandbox"). Never deployed.
 */
export interface LocalFunctionsHost {
  /** e.g. http://127.0.0.1:7071 */
  url: string;
  registrations: Registrations;
  /** The access keys (master, host, per function) callers must present, by `?code=` or `x-functions-key`. */
  keys: HostKeys;
  /** Resolves when every queue trigger has nothing visible left to do. */
  queuesIdle(): Promise<void>;
  /** Runs a timer-triggered function now (also `POST /admin/functions/{name}` with the master key). */
  runTimer(name: string): Promise<void>;
  /** The app settings the functions see (changed by `reconfigure`). */
  settings: Record<string, string>;
  /**
   * Changes app settings (`undefined` removes one) as a settings change in Azure does: the app is
   * built again from them at the next invocation (a new worker), with fresh clients and caches.
   */
  reconfigure(changes: Record<string, string | undefined>): void;
  stop(): Promise<void>;
}

export interface LocalHostOptions {
  /**
   * App settings, over the process environment. The functions read them through this host's own App
   * (src/app), never from `process.env`, so two hosts in one process each have theirs.
   */
  settings: Record<string, string>;
  port?: number;
  files?: string[];
  hostJson?: string;
  log?: HostLogSink;
  /** Invisibility of a message while its function runs (the host's 10 minutes by default). */
  processingVisibilitySeconds?: number;
  /** Key values to use instead of random ones (e.g. a host key the caller already gave Graph). */
  keys?: HostKeysInput;
  /** Lenient behaviours of Core Tools to switch back on by name (tests that show what they would hide). */
  lenient?: HostLeniency;
  /** Where to listen (default 127.0.0.1), and HTTPS with this key and certificate (the sandbox's `--lan`). */
  address?: string;
  tls?: { key: string; cert: string };
}

/** The Functions host enforces keys; Core Tools locally does not. Every flag is off by default. */
export interface HostLeniency {
  /** Serve `function` and `admin` level functions (and the admin API) without a key, as Core Tools does. */
  keysNotEnforced?: boolean;
}

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

// As the worker does before it loads function files: `@azure/functions` finds its host, not "test mode".
provideFunctionsCore();

/** Binding expressions: `%NAME%` in a queue name is the app setting NAME, as in the real host. */
export function resolveAppSettings(value: string, env: Record<string, string | undefined> = process.env): string {
  return value.replace(/%([A-Za-z0-9_]+)%/g, (_, name: string) => {
    const setting = env[name];
    if (setting === undefined) throw new Error(`App setting ${name} (used as %${name}%) is not set`);
    return setting;
  });
}

/** Forget previously loaded project modules so each host starts like a fresh worker process. */
function freshWorker(): void {
  for (const file of Object.keys(require.cache)) {
    // Relative to the project: a checkout in a folder named "sandbox" must not look like sandbox/ itself.
    const inProject = path.relative(PROJECT_ROOT, file);
    if (
      !inProject.startsWith('..') &&
      !path.isAbsolute(inProject) &&
      !inProject.split(path.sep).includes('node_modules') &&
      !inProject.startsWith(`sandbox${path.sep}`)
    ) {
      delete require.cache[file];
    }
  }
}

/** The registrations with every handler (and start-up hook) run inside the host's App. */
function inApp(found: Registrations, source: () => App): Registrations {
  const wrap =
    <Args extends unknown[], Result>(handler: (...args: Args) => Result) =>
    (...args: Args): Result =>
      runWithApp(source, () => handler(...args));
  return {
    ...found,
    http: found.http.map((r) => ({ ...r, handler: wrap(r.handler) })),
    queues: found.queues.map((r) => ({ ...r, handler: wrap(r.handler) })),
    timers: found.timers.map((r) => ({ ...r, handler: wrap(r.handler) })),
    appStart: found.appStart.map(wrap),
  };
}

export async function startLocalFunctionsHost(options: LocalHostOptions): Promise<LocalFunctionsHost> {
  const log = options.log ?? consoleLogSink;
  const host = readHostSettings(options.hostJson ?? HOST_JSON);
  const settings = options.settings;
  const env = () => ({ ...process.env, ...settings });
  // This host's App: every invocation runs with it, so two hosts in one process never share one.
  let app: App | undefined;
  const appSource = () => (app ??= createApp(env()));
  freshWorker();
  const registrations = inApp(captureRegistrations(options.files ?? functionFiles()), appSource);
  for (const start of registrations.appStart) await start();
  const keys = createHostKeys(
    registrations.http.map((r) => r.name),
    options.keys,
  );
  const enforced = options.lenient?.keysNotEnforced ? undefined : keys;

  const queues: QueueListener[] = registrations.queues.map((declared) => {
    const registration = { ...declared, queueName: resolveAppSettings(declared.queueName, env()) };
    const connectionString = env()[registration.connection];
    if (!connectionString) throw new Error(`${registration.name}: setting ${registration.connection} is not set`);
    return startQueueListener({
      registration,
      connectionString,
      settings: host.queues,
      functionTimeoutMs: host.functionTimeoutMs,
      processingVisibilitySeconds: options.processingVisibilitySeconds,
      log,
    });
  });
  const timers = new Map<string, TimerScheduler>(
    registrations.timers.map((registration) => [
      registration.name,
      startTimer({ registration, functionTimeoutMs: host.functionTimeoutMs, log }),
    ]),
  );

  const runTimer = async (name: string) => {
    const timer = timers.get(name);
    if (!timer) throw new Error(`No timer function named ${name}`);
    await timer.runNow();
  };

  // The host's admin API for non-HTTP functions: POST /admin/functions/{name}, with the master key.
  const adminRoutes = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/admin\/functions\/([\w-]+)$/.exec(url.pathname);
    if (!match?.[1] || req.method !== 'POST') return false;
    req.resume();
    if (enforced && !isAuthorized('admin', match[1], presentedKey(req.headers, url), enforced)) {
      res.writeHead(401).end();
      return true;
    }
    if (!timers.has(match[1])) {
      res.writeHead(404).end();
      return true;
    }
    void runTimer(match[1]);
    res.writeHead(202).end();
    return true;
  };

  let listener: HttpListener;
  try {
    listener = await startHttpListener({
      port: options.port ?? 7071,
      address: options.address,
      tls: options.tls,
      routePrefix: host.routePrefix,
      registrations: registrations.http,
      log,
      keys: enforced,
      extraRoutes: adminRoutes,
      streaming: registrations.setup.enableHttpStream,
      maxRequestBodyBytes: env().FUNCTIONS_REQUEST_BODY_SIZE_LIMIT
        ? Number(env().FUNCTIONS_REQUEST_BODY_SIZE_LIMIT)
        : undefined,
    });
  } catch (error) {
    await Promise.all(queues.map((q) => q.stop()));
    await Promise.all([...timers.values()].map((t) => t.stop()));
    throw error;
  }

  return {
    url: listener.url,
    registrations,
    keys,
    queuesIdle: async () => {
      await Promise.all(queues.map((q) => q.idle()));
    },
    runTimer,
    settings,
    reconfigure(changes) {
      for (const [name, value] of Object.entries(changes)) {
        if (value === undefined) delete settings[name];
        else settings[name] = value;
      }
      app = undefined;
    },
    async stop() {
      await Promise.all([...timers.values()].map((t) => t.stop()));
      await listener.stop();
      await Promise.all(queues.map((q) => q.stop()));
    },
  };
}

import type http from 'node:http';
import path from 'node:path';
import { readHostSettings, HOST_JSON } from './host-config';
import { startHttpListener, type HttpListener } from './http-listener';
import { consoleLogSink, type HostLogSink } from './invocation';
import { startQueueListener, type QueueListener } from './queue-listener';
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
  /** Resolves when every queue trigger has nothing visible left to do. */
  queuesIdle(): Promise<void>;
  /** Runs a timer-triggered function now (also `POST /admin/functions/{name}`). */
  runTimer(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalHostOptions {
  /** App settings, put into the process environment before the function files load. */
  settings: Record<string, string>;
  port?: number;
  files?: string[];
  hostJson?: string;
  log?: HostLogSink;
  /** Invisibility of a message while its function runs (the host's 10 minutes by default). */
  processingVisibilitySeconds?: number;
}

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Binding expressions: `%NAME%` in a queue name is the app setting NAME, as in the real host. */
export function resolveAppSettings(value: string): string {
  return value.replace(/%([A-Za-z0-9_]+)%/g, (_, name: string) => {
    const setting = process.env[name];
    if (setting === undefined) throw new Error(`App setting ${name} (used as %${name}%) is not set`);
    return setting;
  });
}

/** Forget previously loaded project modules so each host starts like a fresh worker process. */
function freshWorker(): void {
  for (const file of Object.keys(require.cache)) {
    if (
      file.startsWith(PROJECT_ROOT) &&
      !file.includes(`${path.sep}node_modules${path.sep}`) &&
      !file.includes(`${path.sep}sandbox${path.sep}`)
    ) {
      delete require.cache[file];
    }
  }
}

export async function startLocalFunctionsHost(options: LocalHostOptions): Promise<LocalFunctionsHost> {
  const log = options.log ?? consoleLogSink;
  const host = readHostSettings(options.hostJson ?? HOST_JSON);
  Object.assign(process.env, options.settings);
  freshWorker();
  const registrations = captureRegistrations(options.files ?? functionFiles());
  for (const start of registrations.appStart) await start();

  const queues: QueueListener[] = registrations.queues.map((declared) => {
    const registration = { ...declared, queueName: resolveAppSettings(declared.queueName) };
    const connectionString = process.env[registration.connection];
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

  // The host's admin API for non-HTTP functions: POST /admin/functions/{name}.
  const adminRoutes = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const match = /^\/admin\/functions\/([\w-]+)$/.exec(req.url ?? '');
    if (!match?.[1] || req.method !== 'POST') return false;
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
      routePrefix: host.routePrefix,
      registrations: registrations.http,
      log,
      extraRoutes: adminRoutes,
    });
  } catch (error) {
    await Promise.all(queues.map((q) => q.stop()));
    timers.forEach((t) => t.stop());
    throw error;
  }

  return {
    url: listener.url,
    registrations,
    queuesIdle: async () => {
      await Promise.all(queues.map((q) => q.idle()));
    },
    runTimer,
    async stop() {
      timers.forEach((t) => t.stop());
      await listener.stop();
      await Promise.all(queues.map((q) => q.stop()));
    },
  };
}

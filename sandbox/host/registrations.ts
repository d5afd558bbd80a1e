import path from 'node:path';
import { readdirSync } from 'node:fs';
import type { HttpHandler, StorageQueueHandler, TimerHandler } from '@azure/functions';

/**
 * What the function files register with `app.*`, captured the way the Functions host learns it: by
 * loading every file and recording each registration. Routes, queue names and schedules are
 * declared once, in `functions/`.
 */
export interface HttpRegistration {
  name: string;
  route: string;
  methods: string[];
  authLevel: string;
  handler: HttpHandler;
}

export interface QueueRegistration {
  name: string;
  queueName: string;
  connection: string;
  handler: StorageQueueHandler;
}

export interface TimerRegistration {
  name: string;
  schedule: string;
  runOnStartup: boolean;
  handler: TimerHandler;
}

export interface Registrations {
  http: HttpRegistration[];
  queues: QueueRegistration[];
  timers: TimerRegistration[];
  appStart: (() => unknown)[];
  /** What `app.setup` asked for: with `enableHttpStream`, request bodies reach handlers as streams. */
  setup: { enableHttpStream: boolean };
}

export const FUNCTIONS_DIR = path.resolve(__dirname, '..', '..', 'functions');

/** The function files of a folder, as `package.json`'s `main` glob selects them. */
export function functionFiles(dir: string = FUNCTIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => path.join(dir, file));
}

type Recorder = Record<string, unknown>;

/** Loads each file with `app.http`, `app.storageQueue`, `app.timer` and `app.hook.appStart` recording. */
export function captureRegistrations(files: string[] = functionFiles()): Registrations {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { app } = require('@azure/functions') as typeof import('@azure/functions');
  const found: Registrations = { http: [], queues: [], timers: [], appStart: [], setup: { enableHttpStream: false } };
  const appRecord = app as unknown as Recorder;
  const hookRecord = app.hook as unknown as Recorder;
  const saved = {
    http: appRecord.http,
    storageQueue: appRecord.storageQueue,
    timer: appRecord.timer,
    appStart: hookRecord.appStart,
  };
  const unsupported = ['get', 'post', 'put', 'patch', 'deleteRequest', 'generic', 'serviceBusQueue', 'eventHub'];
  const savedUnsupported = Object.fromEntries(unsupported.map((k) => [k, appRecord[k]]));

  appRecord.http = (
    name: string,
    options: { route?: string; methods?: string[]; authLevel?: string; handler: HttpHandler },
  ) => {
    found.http.push({
      name,
      route: options.route ?? name,
      methods: (options.methods ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
      authLevel: options.authLevel ?? 'anonymous',
      handler: options.handler,
    });
  };
  appRecord.storageQueue = (
    name: string,
    options: { queueName: string; connection: string; handler: StorageQueueHandler },
  ) => {
    found.queues.push({ name, queueName: options.queueName, connection: options.connection, handler: options.handler });
  };
  appRecord.timer = (name: string, options: { schedule: string; runOnStartup?: boolean; handler: TimerHandler }) => {
    found.timers.push({
      name,
      schedule: options.schedule,
      runOnStartup: options.runOnStartup ?? false,
      handler: options.handler,
    });
  };
  // `app.setup` is a getter on the package's `app`: the files see a stand-in `app` that records it.
  const library = require('@azure/functions') as Record<string, unknown>; // eslint-disable-line @typescript-eslint/no-require-imports
  const recordSetup = (options: { enableHttpStream?: boolean }) => {
    if (options.enableHttpStream !== undefined) found.setup.enableHttpStream = options.enableHttpStream;
  };
  library.app = new Proxy(app, {
    get: (target, property) => (property === 'setup' ? recordSetup : Reflect.get(target, property, target)),
  });
  hookRecord.appStart = (handler: () => unknown) => {
    found.appStart.push(handler);
    return { dispose: () => undefined };
  };
  for (const key of unsupported) {
    appRecord[key] = (name: string) => {
      throw new Error(`The sandbox host supports app.http, app.storageQueue and app.timer; ${name} used app.${key}`);
    };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading is how the host discovers functions
    for (const file of files) require(file);
  } finally {
    Object.assign(
      appRecord,
      { http: saved.http, storageQueue: saved.storageQueue, timer: saved.timer },
      savedUnsupported,
    );
    hookRecord.appStart = saved.appStart;
    library.app = app;
  }
  return found;
}

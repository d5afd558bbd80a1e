import Module from 'node:module';

/**
 * The module `@azure/functions-core`, as the Azure Functions Node.js worker provides it to the
 * `@azure/functions` package: the host's side of `app.http`, `app.storageQueue`, `app.timer`, hooks and
 * system logs. Without it the package runs in "test mode" and prints "WARNING: Skipping call to
 * register function …" for every function file loaded. The worker makes `require('@azure/functions-core')`
 * return its API; the local host does the same here (`provideFunctionsCore`), and jest maps the module
 * name to this file (jest.config.js), so function files load silently wherever they are loaded.
 *
 * Registrations are recorded (`registeredFunctions()`, `registeredHooks()`), as the host learns them.
 * The local host itself learns routes, queues and schedules in registrations.ts, where it also runs them.
 */

/** What `toCoreFunctionMetadata` gives the host: the function's name and its bindings. */
export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, { type: string; direction: string } & Record<string, unknown>>;
  [key: string]: unknown;
}

export class Disposable {
  private done = false;
  constructor(private readonly callOnDispose: () => void) {}
  dispose(): void {
    if (this.done) return;
    this.done = true;
    this.callOnDispose();
  }
}

/** The worker's version, as the package reads it. */
export const version = '3.10.1';
export const hostVersion = '4.1037.0';

const functions = new Map<string, { metadata: CoreFunctionMetadata; callback: unknown }>();
const hooks: { hookName: string; callback: unknown }[] = [];
let programmingModel: unknown;

export function setProgrammingModel(model: unknown): void {
  programmingModel = model;
}

export function getProgrammingModel(): unknown {
  return programmingModel;
}

/** A file loaded again (a fresh module registry in a test) registers its function again: the last one counts. */
export function registerFunction(metadata: CoreFunctionMetadata, callback: unknown): Disposable {
  functions.set(metadata.name, { metadata, callback });
  return new Disposable(() => functions.delete(metadata.name));
}

export function registerHook(hookName: string, callback: unknown): Disposable {
  const hook = { hookName, callback };
  hooks.push(hook);
  return new Disposable(() => hooks.splice(hooks.indexOf(hook), 1));
}

/** The package's own system log (e.g. a deprecation): errors and warnings to stderr, as the worker shows them. */
export function log(level: string, _category: string, message: string): void {
  if (level === 'error' || level === 'warning') process.stderr.write(`[@azure/functions ${level}] ${message}\n`);
}

/** The functions registered so far, by name, with their bindings (as the host would list them). */
export function registeredFunctions(): CoreFunctionMetadata[] {
  return [...functions.values()].map((f) => f.metadata);
}

export function registeredHooks(): string[] {
  return hooks.map((h) => h.hookName);
}

/** Forgets every registration (a fresh worker loads the function files again). */
export function resetRegistrations(): void {
  functions.clear();
  hooks.length = 0;
}

const api = {
  version,
  hostVersion,
  setProgrammingModel,
  getProgrammingModel,
  registerFunction,
  registerHook,
  log,
  Disposable,
};

let provided = false;

/**
 * Makes `require('@azure/functions-core')` return this API in this process, as the worker does at its
 * start (before any function file loads). Call it before the first `app.*` registration: the package
 * looks the module up once and remembers the answer.
 */
export function provideFunctionsCore(): void {
  if (provided) return;
  provided = true;
  const prototype = Module.prototype as unknown as { require: (id: string) => unknown };
  prototype.require = new Proxy(prototype.require, {
    apply(target, thisArg, args: [string]) {
      return args[0] === '@azure/functions-core' ? api : Reflect.apply(target, thisArg, args);
    },
  });
}

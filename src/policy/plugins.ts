import path from 'node:path';
import type { PolicyContext, ReleasePolicy } from './decision';
import type { PluginFailMode } from '../config/settings';
import { TimeLimitError } from './evaluation-errors';
import { errorText } from '../observability/log';
import { parseQuotas } from './declarative/quota-schema';
import type { PolicyQuotas } from '../quota/standings';

/** A named condition a plug-in module exports for rules to use (`{ "plugin": "name" }`). */
export type PluginCondition = (context: PolicyContext) => boolean | Promise<boolean>;

export type { PluginFailMode };

export interface PluginModule {
  policy?: ReleasePolicy;
  conditions?: Record<string, PluginCondition>;
  /** Quotas a code policy decides from: `export const quotas = { timeZone, definitions: [ … ] }` (or policy.quotas). */
  quotas?: PolicyQuotas;
}

/** A plug-in condition that threw or ran out of time; the rule engine applies the fail mode. */
export class PluginFailure extends Error {
  constructor(
    readonly plugin: string,
    cause: unknown,
  ) {
    super(`Plug-in condition "${plugin}" failed: ${errorText(cause)}`, { cause });
    this.name = 'PluginFailure';
  }
}

/**
 * Runs `work` within `timeoutMs`, or rejects with a TimeLimitError (transient: the processor retries).
 * The work itself cannot be stopped, only no longer awaited.
 */
export function withinTime<T>(work: () => T | Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeLimitError(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([Promise.resolve().then(work), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Loads a plug-in module once (require caches it): a `policy` (or a default export with
 * `decide`) and/or named `conditions`. Relative paths resolve from `root`.
 */
export function loadPluginModule(modulePath: string, root: string): PluginModule {
  const resolved = path.isAbsolute(modulePath) ? modulePath : path.resolve(root, modulePath);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a plug-in is chosen by a setting, at run time
  const loaded = require(resolved) as { policy?: unknown; default?: unknown; conditions?: unknown; quotas?: unknown };
  const policy = [loaded.policy, loaded.default].find(
    (candidate): candidate is ReleasePolicy =>
      !!candidate && typeof (candidate as Partial<ReleasePolicy>).decide === 'function',
  );
  const conditions = namedConditions(loaded.conditions, modulePath);
  const quotas = pluginQuotas(loaded.quotas ?? policy?.quotas, modulePath);
  if (!policy && !conditions)
    throw new Error(
      `${modulePath} exports neither a policy ({ name, decide(context) }) nor conditions ({ name: (context) => boolean })`,
    );
  return {
    ...(policy
      ? {
          policy: {
            name: policy.name ?? path.basename(modulePath),
            decide: policy.decide.bind(policy),
            ...(quotas ? { quotas } : {}),
          },
        }
      : {}),
    ...(conditions ? { conditions } : {}),
    ...(quotas ? { quotas } : {}),
  };
}

/** A plug-in's quotas, checked like a policy file's: a bad one stops the module loading. */
function pluginQuotas(value: unknown, modulePath: string): PolicyQuotas | undefined {
  if (value === undefined) return undefined;
  const parsed = parseQuotas(value);
  if (!parsed.ok) throw new Error(`${modulePath}: invalid quotas:\n${parsed.errors.map((e) => `  - ${e}`).join('\n')}`);
  return parsed.quotas;
}

function namedConditions(value: unknown, modulePath: string): Record<string, PluginCondition> | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const entries = Object.entries(value);
  const notFunctions = entries.filter(([, f]) => typeof f !== 'function').map(([name]) => name);
  if (notFunctions.length > 0)
    throw new Error(`${modulePath}: conditions ${notFunctions.join(', ')} are not functions (context) => boolean`);
  return Object.fromEntries(entries);
}

/**
 * Runs a plug-in condition with its time limit. Anything but a boolean answer (a throw, a
 * timeout, a non-boolean) is a PluginFailure, so a buggy plug-in cannot match by accident.
 */
export async function runPluginCondition(
  name: string,
  condition: PluginCondition,
  context: PolicyContext,
  timeoutMs: number,
): Promise<boolean> {
  let answer: unknown;
  try {
    answer = await withinTime(() => condition(context), timeoutMs, `Plug-in condition "${name}"`);
  } catch (error) {
    throw new PluginFailure(name, error);
  }
  if (typeof answer !== 'boolean') throw new PluginFailure(name, new Error(`answered ${typeof answer}, not a boolean`));
  return answer;
}

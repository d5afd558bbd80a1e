import path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import type { Settings } from '../config/settings';
import type { PluginCondition } from './declarative/conditions';
import { fileOrigin, inlineOrigin, PolicySource, urlOrigin, type PolicyOrigin } from './declarative/policy-source';
import { compilePolicy, type ExplainingPolicy } from './declarative/rule-engine';
import type { PolicyFile } from './declarative/policy-schema';
import { releaseEverything, type Decision, type PolicyContext, type ReleasePolicy } from './decision';

/** The app root: two levels above this file in source, three in the compiled dist/. */
const APP_ROOT =
  path.basename(path.resolve(__dirname, '..', '..')) === 'dist'
    ? path.resolve(__dirname, '..', '..', '..')
    : path.resolve(__dirname, '..', '..');

interface PluginModule {
  policy?: ReleasePolicy;
  conditions?: Record<string, PluginCondition>;
}

/** Runs `work` within `timeoutMs`, or rejects. */
export function withinTime<T>(work: () => T | Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([Promise.resolve().then(work), timeout]).finally(() => clearTimeout(timer));
}

/** Loads a plug-in module once: a `policy` and/or named `conditions` (or a policy as default export). */
export function loadPluginModule(modulePath: string, root: string = APP_ROOT): PluginModule {
  const resolved = path.isAbsolute(modulePath) ? modulePath : path.resolve(root, modulePath);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a plug-in is chosen by a setting, at run time
  const loaded = require(resolved) as { policy?: unknown; default?: unknown; conditions?: unknown };
  const policy = loaded.policy ?? loaded.default;
  const isPolicy = !!policy && typeof (policy as ReleasePolicy).decide === 'function';
  const conditions =
    loaded.conditions && typeof loaded.conditions === 'object'
      ? (loaded.conditions as Record<string, PluginCondition>)
      : undefined;
  if (!isPolicy && !conditions)
    throw new Error(`${modulePath} exports neither a policy (decide(context)) nor conditions`);
  return {
    ...(isPolicy
      ? {
          policy: {
            name: (policy as ReleasePolicy).name ?? path.basename(modulePath),
            decide: (policy as ReleasePolicy).decide.bind(policy),
          },
        }
      : {}),
    ...(conditions ? { conditions } : {}),
  };
}

/** A policy that answers within `timeoutMs` or fails (the processor then applies the fail-safe). */
export function withTimeLimit(policy: ReleasePolicy, timeoutMs: number): ReleasePolicy {
  return {
    name: policy.name,
    decide: (context) => withinTime(() => policy.decide(context), timeoutMs, `Policy ${policy.name}`),
  };
}

type PolicySettings = Pick<
  Settings,
  | 'RELEASE_GATE_POLICY_MODULE'
  | 'RELEASE_GATE_POLICY_TIMEOUT_MS'
  | 'RELEASE_GATE_POLICY_FILE'
  | 'RELEASE_GATE_POLICY_JSON'
  | 'RELEASE_GATE_POLICY_URL'
  | 'RELEASE_GATE_POLICY_RELOAD_SECONDS'
  | 'RELEASE_GATE_POLICY_SHADOW_MODE'
  | 'RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE'
>;

/** A declarative policy bound to its plug-in conditions and the time limit / fail mode for them. */
export function declarativePolicy(
  file: PolicyFile,
  options: {
    conditions?: Record<string, PluginCondition>;
    timeoutMs: number;
    failMode: 'fail-safe' | 'no-match';
    warn?: (message: string) => void;
  },
): ExplainingPolicy {
  return compilePolicy(file, {
    plugins: options.conditions ?? {},
    async runPlugin(name, condition, context) {
      try {
        return await withinTime(() => condition(context), options.timeoutMs, `Plug-in condition ${name}`);
      } catch (error) {
        if (options.failMode === 'fail-safe') throw error;
        options.warn?.(`${(error as Error).message}; counted as no match`);
        return false;
      }
    },
  });
}

/**
 * The release policy the settings ask for, in order of precedence: inline JSON, a URL, a file (all
 * declarative, reloaded when they change), a plug-in module's policy, or release-everything.
 */
export function policyFromSettings(
  settings: PolicySettings,
  options: { log?: (level: 'warn' | 'error' | 'info', message: string) => void; credential?: TokenCredential } = {},
): ReleasePolicy {
  const log = options.log ?? (() => undefined);
  const plugin = settings.RELEASE_GATE_POLICY_MODULE
    ? loadPluginModule(settings.RELEASE_GATE_POLICY_MODULE)
    : undefined;
  const origin: PolicyOrigin | undefined = settings.RELEASE_GATE_POLICY_JSON
    ? inlineOrigin(settings.RELEASE_GATE_POLICY_JSON)
    : settings.RELEASE_GATE_POLICY_URL
      ? urlOrigin(settings.RELEASE_GATE_POLICY_URL, options.credential)
      : settings.RELEASE_GATE_POLICY_FILE
        ? fileOrigin(
            path.isAbsolute(settings.RELEASE_GATE_POLICY_FILE)
              ? settings.RELEASE_GATE_POLICY_FILE
              : path.resolve(APP_ROOT, settings.RELEASE_GATE_POLICY_FILE),
          )
        : undefined;
  if (!origin) return withTimeLimit(plugin?.policy ?? releaseEverything, settings.RELEASE_GATE_POLICY_TIMEOUT_MS);

  const shadow = settings.RELEASE_GATE_POLICY_SHADOW_MODE;
  let compiled: { file: PolicyFile; policy: ExplainingPolicy } | undefined;
  const source = new PolicySource(
    origin,
    settings.RELEASE_GATE_POLICY_RELOAD_SECONDS,
    (message) => log('error', message),
    Date.now,
    (file, version) => log('info', `Loaded policy "${file.name}" (${version.slice(0, 40)}) from ${origin.describe}`),
  );
  const policy: ReleasePolicy = {
    name: `declarative policy (${origin.describe})`,
    async decide(context: PolicyContext): Promise<Decision> {
      const file = await source.current();
      if (compiled?.file !== file) {
        const effective = shadow === undefined ? file : { ...file, shadowMode: shadow === 'true' };
        compiled = {
          file,
          policy: declarativePolicy(effective, {
            conditions: plugin?.conditions,
            timeoutMs: settings.RELEASE_GATE_POLICY_TIMEOUT_MS,
            failMode: settings.RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE,
            warn: (message) => log('warn', message),
          }),
        };
      }
      return compiled.policy.decide(context);
    },
  };
  return withTimeLimit(policy, settings.RELEASE_GATE_POLICY_TIMEOUT_MS);
}

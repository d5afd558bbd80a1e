import path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { APP_ROOT } from '../app-root';
import { settingDefault, type Settings } from '../config/settings';
import { pluginNames } from './declarative/conditions';
import { fileOrigin, inlineOrigin, PolicySource, urlOrigin, type PolicyOrigin } from './declarative/policy-source';
import type { PolicyFile } from './declarative/policy-schema';
import { printersPolicyStops, type StopsJobsOnPrinters } from './declarative/protected-printers';
import { compilePolicy } from './declarative/rule-engine';
import { releaseEverything, type Decision, type PolicyContext, type ReleasePolicy } from './decision';
import { PolicyUnavailableError } from './evaluation-errors';
import {
  loadPluginModule as loadModule,
  runPluginCondition,
  withinTime,
  type PluginCondition,
  type PluginFailMode,
  type PluginModule,
} from './plugins';
import { inShadowMode, shadowFailure } from './shadow-mode';
import { evaluateWithTrace, type Evaluation, type ExplainingPolicy } from './trace';
import { errorText } from '../observability/log';

/** Loads a plug-in module once; relative paths resolve from the app root. */
export const loadPluginModule = (modulePath: string, root: string = APP_ROOT): PluginModule =>
  loadModule(modulePath, root);

/**
 * The settings the policy reads, as settings.ts declares them; any left out take the defaults declared
 * there, so tests and the sandbox need not build whole settings.
 */
export type PolicySettings = Partial<
  Pick<
    Settings,
    | 'RELEASE_GATE_POLICY_MODULE'
    | 'RELEASE_GATE_POLICY_FILE'
    | 'RELEASE_GATE_POLICY_JSON'
    | 'RELEASE_GATE_POLICY_URL'
    | 'RELEASE_GATE_POLICY_RELOAD_SECONDS'
    | 'RELEASE_GATE_POLICY_SHADOW_MODE'
    | 'RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE'
    | 'RELEASE_GATE_POLICY_TIMEOUT_MS'
    | 'RELEASE_GATE_POLICY_PLUGIN_TIMEOUT_MS'
  >
>;

export type PolicyLogEvent = 'policy.loaded' | 'policy.source-problem' | 'policy.plugin-failed' | 'policy.shadow-error';
/** Where the policy reports what an admin should know; `event` names it for the logs. */
export type PolicyLog = (level: 'info' | 'warn' | 'error', message: string, event: PolicyLogEvent) => void;

/** A declarative policy bound to plug-in conditions, their time limit and their fail mode. */
export function declarativePolicy(
  file: PolicyFile,
  options: {
    conditions?: Record<string, PluginCondition>;
    timeoutMs: number;
    failMode: PluginFailMode;
    warn?: (message: string) => void;
  },
): ExplainingPolicy {
  const conditions = options.conditions ?? {};
  return compilePolicy(file, {
    pluginFailMode: options.failMode,
    warn: options.warn,
    runPlugin(name, context) {
      const condition = conditions[name];
      // Checked when the policy loads; this only guards a policy compiled without that check.
      if (!condition) throw new Error(`The policy uses plug-in condition "${name}", which no plug-in exports`);
      return runPluginCondition(name, condition, context, options.timeoutMs);
    },
  });
}

/** Problems with a policy's plug-in conditions: names the module does not export, or no module. */
export function checkPluginNames(
  file: PolicyFile,
  conditions: Record<string, PluginCondition> | undefined,
  why = 'no plug-in module is configured (RELEASE_GATE_POLICY_MODULE)',
): string[] {
  return file.rules.flatMap((rule, index) =>
    [...pluginNames(rule.when)]
      .filter((name) => !conditions?.[name])
      .map(
        (name) =>
          `rule ${index + 1} "${rule.name}": when.plugin: "${name}" is not a condition the plug-in exports (${
            conditions ? `it exports: ${Object.keys(conditions).join(', ') || 'none'}` : why
          })`,
      ),
  );
}

/** The setting overrides the policy file's shadowMode only when it is set. */
const shadowSetting = (value: PolicySettings['RELEASE_GATE_POLICY_SHADOW_MODE']) =>
  value === undefined ? undefined : value === 'true';

/**
 * The release policy the settings ask for, in order of precedence: inline JSON, a URL, a file (all
 * declarative, re-read when they change), a plug-in module's policy, or release-everything.
 *
 * It never throws here: a plug-in module that cannot be loaded is reported, and only the
 * decisions that need it fail (the processor's fail-safe then decides). The returned policy
 * answers within RELEASE_GATE_POLICY_TIMEOUT_MS or throws; in shadow mode it always releases.
 */
export function loadPolicyFromSettings(
  settings: PolicySettings,
  log: PolicyLog = () => undefined,
  options: { credential?: TokenCredential; root?: string } = {},
): ExplainingPolicy & Partial<StopsJobsOnPrinters> {
  const root = options.root ?? APP_ROOT;
  const timeoutMs = settings.RELEASE_GATE_POLICY_TIMEOUT_MS ?? settingDefault('RELEASE_GATE_POLICY_TIMEOUT_MS');
  // A plug-in condition must time out before the whole policy does, or its fail mode never applies.
  const pluginTimeoutMs = settings.RELEASE_GATE_POLICY_PLUGIN_TIMEOUT_MS ?? Math.max(5, Math.floor(timeoutMs / 2));
  const failMode =
    settings.RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE ?? settingDefault('RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE');
  const shadow = shadowSetting(settings.RELEASE_GATE_POLICY_SHADOW_MODE);

  let plugin: PluginModule | undefined;
  let pluginProblem: string | undefined;
  if (settings.RELEASE_GATE_POLICY_MODULE) {
    try {
      plugin = loadPluginModule(settings.RELEASE_GATE_POLICY_MODULE, root);
    } catch (error) {
      pluginProblem = `The policy plug-in module ${settings.RELEASE_GATE_POLICY_MODULE} could not be loaded: ${errorText(error)}`;
      log('error', pluginProblem, 'policy.source-problem');
    }
  }

  const origin = policyOrigin(settings, root, options.credential);
  if (!origin) return codePolicy(plugin?.policy, pluginProblem, { timeoutMs, failMode, shadow, log });

  const source = new PolicySource(origin, {
    reloadSeconds: settings.RELEASE_GATE_POLICY_RELOAD_SECONDS ?? settingDefault('RELEASE_GATE_POLICY_RELOAD_SECONDS'),
    onError: (message) => log('error', message, 'policy.source-problem'),
    onLoaded: (file, version) =>
      log(
        'info',
        `Loaded policy "${file.name}" (version ${version.slice(0, 40)}) from ${origin.describe}`,
        'policy.loaded',
      ),
    validate: (file) => checkPluginNames(file, plugin?.conditions, pluginProblem),
  });
  let compiled: { file: PolicyFile; policy: ExplainingPolicy } | undefined;
  const compile = (file: PolicyFile) => {
    if (compiled?.file !== file) {
      const effective = shadow === undefined ? file : { ...file, shadowMode: shadow };
      compiled = {
        file,
        policy: declarativePolicy(effective, {
          conditions: plugin?.conditions,
          timeoutMs: pluginTimeoutMs,
          failMode,
          warn: (message) => log('warn', message, 'policy.plugin-failed'),
        }),
      };
    }
    return compiled.policy;
  };

  const name = `declarative policy (${origin.describe})`;
  async function evaluate(context: PolicyContext): Promise<Evaluation> {
    const seen: { file?: PolicyFile } = {};
    try {
      return await withinTime(
        async () => {
          seen.file = await source.current();
          return compile(seen.file).evaluate(context);
        },
        timeoutMs,
        `Policy ${name}`,
      );
    } catch (error) {
      // Shadow mode never denies: not even the fail-safe may, for a policy being tried out.
      if (!(shadow ?? seen.file?.shadowMode)) throw error;
      log('warn', `Shadow mode: the policy failed, the job is released: ${errorText(error)}`, 'policy.shadow-error');
      return shadowFailure(error);
    }
  }
  // In shadow mode the policy stops nothing, so it protects no printer either.
  const printersItStops = async () => {
    const file = await source.current();
    return (shadow ?? file.shadowMode) ? [] : printersPolicyStops(file);
  };
  return {
    name,
    evaluate,
    decide: async (context) => (await evaluate(context)).decision,
    printersItStops,
    // The file's quotas as last loaded: read when a quota is asked for, during evaluate, after the load.
    get quotas() {
      return compiled?.policy.quotas;
    },
  };
}

function policyOrigin(settings: PolicySettings, root: string, credential?: TokenCredential): PolicyOrigin | undefined {
  if (settings.RELEASE_GATE_POLICY_JSON) return inlineOrigin(settings.RELEASE_GATE_POLICY_JSON);
  if (settings.RELEASE_GATE_POLICY_URL) return urlOrigin(settings.RELEASE_GATE_POLICY_URL, credential);
  const file = settings.RELEASE_GATE_POLICY_FILE;
  if (file) return fileOrigin(path.isAbsolute(file) ? file : path.resolve(root, file));
  return undefined;
}

/**
 * A policy written in code (the plug-in module's `policy`), or release-everything: with the time
 * limit, the fail mode (release / deny answer for it; the others leave it to the fail-safe) and
 * shadow mode.
 */
function codePolicy(
  policy: ReleasePolicy | undefined,
  loadProblem: string | undefined,
  options: { timeoutMs: number; failMode: PluginFailMode; shadow?: boolean; log: PolicyLog },
): ExplainingPolicy {
  const inner: ReleasePolicy = loadProblem
    ? {
        name: 'policy plug-in (not loaded)',
        decide: async () => {
          throw new PolicyUnavailableError(loadProblem, false); // a module that did not load will not load on retry
        },
      }
    : (policy ?? releaseEverything);
  async function evaluate(context: PolicyContext): Promise<Evaluation> {
    try {
      return await withinTime(() => evaluateWithTrace(inner, context), options.timeoutMs, `Policy ${inner.name}`);
    } catch (error) {
      if (options.shadow || (options.failMode !== 'release' && options.failMode !== 'deny')) throw error;
      options.log(
        'warn',
        `Policy ${inner.name} failed; plug-in fail mode ${options.failMode}: ${errorText(error)}`,
        'policy.plugin-failed',
      );
      const rule = `${inner.name} (plug-in failed)`;
      const decision: Decision =
        options.failMode === 'release'
          ? { action: 'release', rule }
          : { action: 'deny', rule, reason: 'The print policy could not be evaluated. Please try again later.' };
      return { decision, trace: [], decidedBy: rule, shadowMode: false };
    }
  }
  const limited: ExplainingPolicy = {
    name: inner.name,
    evaluate,
    decide: async (context) => (await evaluate(context)).decision,
    ...(inner.quotas ? { quotas: inner.quotas } : {}),
  };
  return options.shadow
    ? inShadowMode(limited, (error) =>
        options.log(
          'warn',
          `Shadow mode: the policy failed, the job is released: ${errorText(error)}`,
          'policy.shadow-error',
        ),
      )
    : limited;
}

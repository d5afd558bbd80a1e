import type { Decision, PolicyContext } from '../decision';
import { PluginFailure, type PluginFailMode } from '../plugins';
import { shadowDecision } from '../shadow-mode';
import type { ConditionTrace, Evaluation, ExplainingPolicy, RuleTrace } from '../trace';
import { toDecision } from './actions';
import { holds } from './conditions';
import type { PolicyFile, Rule } from './policy-schema';
import { fillReason, hasPlaceholders, ruleQuota } from './quota-references';
import { toQuotaDefinition } from './quota-schema';

export type { Evaluation, ExplainingPolicy, RuleTrace } from '../trace';

export interface EngineOptions {
  /** Runs a named plug-in condition with its time limit; throws PluginFailure when it fails. */
  runPlugin(name: string, context: PolicyContext): Promise<boolean>;
  /** What a failed plug-in condition does (default fail-safe: the evaluation fails). */
  pluginFailMode?: PluginFailMode;
  /** Told about failures the fail mode absorbed, so they are logged. */
  warn?: (message: string) => void;
}

export const PLUGIN_FAILURE_REASON = 'The print policy could not be evaluated. Please try again later.';

/**
 * A declarative policy as a ReleasePolicy that can explain itself: rules in order, the first whose
 * `when` holds decides, otherwise `default`. In shadow mode the decision is recorded and the job
 * released.
 */
export function compilePolicy(file: PolicyFile, options: EngineOptions): ExplainingPolicy {
  const env = { timeZone: file.timeZone, runPlugin: options.runPlugin };
  const failMode = options.pluginFailMode ?? 'fail-safe';
  const quotas = { definitions: file.quotas.map(toQuotaDefinition), timeZone: file.timeZone };

  /** The decision with its reason's quota placeholders filled ({used}, {remaining:jobs} …). */
  async function withFilledReason(decision: Decision, when: Rule['when'] | undefined, context: PolicyContext) {
    if (!decision.reason || !hasPlaceholders(decision.reason)) return decision;
    const reason = await fillReason(decision.reason, when && ruleQuota(when), (name) => context.quota(name));
    return { ...decision, reason };
  }

  /** Whether a rule holds; a failed plug-in under a forgiving fail mode gives a decision or a skip. */
  async function tryRule(rule: Rule, index: number, context: PolicyContext) {
    const conditions: ConditionTrace[] = [];
    const entry: RuleTrace = { rule: rule.name, index, matched: false, conditions };
    try {
      entry.matched = await holds(rule.when, context, env, conditions);
    } catch (error) {
      if (!(error instanceof PluginFailure) || failMode === 'fail-safe') throw error;
      options.warn?.(`${error.message} in rule ${index + 1} "${rule.name}"; plug-in fail mode ${failMode}`);
      if (failMode === 'skip-rule') {
        entry.skipped = `${error.message}: rule skipped`;
        return { entry };
      }
      entry.matched = true;
      entry.skipped = undefined;
      const rulename = `${rule.name} (plug-in ${error.plugin} failed)`;
      const decision: Decision =
        failMode === 'release'
          ? { action: 'release', rule: rulename }
          : { action: 'deny', rule: rulename, reason: PLUGIN_FAILURE_REASON };
      return { entry, decision };
    }
    if (!entry.matched) return { entry };
    const decision = toDecision(rule.then, rule.name, context);
    if (!decision) entry.skipped = 'the redirect map has no destination for this printer, so the next rule is tried';
    return { entry, decision: decision && (await withFilledReason(decision, rule.when, context)) };
  }

  async function evaluate(context: PolicyContext): Promise<Evaluation> {
    const trace: RuleTrace[] = [];
    let decision: Decision | undefined;
    let decidedBy = 'default';
    for (const [index, rule] of file.rules.entries()) {
      const tried = await tryRule(rule, index, context);
      trace.push(tried.entry);
      decision = tried.decision;
      if (decision) {
        decidedBy = decision.rule;
        break;
      }
    }
    // A default redirect by map without this printer has nothing left to fall to: release.
    if (!decision) {
      const fallback = toDecision(file.default, 'default', context);
      decision = fallback
        ? await withFilledReason(fallback, undefined, context)
        : { action: 'release', rule: 'default', reason: 'The default redirect has no destination for this printer.' };
    }
    return {
      decision: file.shadowMode ? shadowDecision(decision) : decision,
      trace,
      decidedBy,
      shadowMode: file.shadowMode,
    };
  }

  return { name: file.name, evaluate, decide: async (context) => (await evaluate(context)).decision, quotas };
}

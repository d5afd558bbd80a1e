import type { PrintJobConfigurationChange } from '../../graph/print-schemas';
import type { Decision, PolicyContext, ReleasePolicy } from '../decision';
import { holds, type ConditionTrace, type EvaluationEnvironment } from './conditions';
import type { Action, PolicyFile } from './policy-schema';

export interface RuleTrace {
  rule: string;
  matched: boolean;
  conditions: ConditionTrace[];
  /** Why a matching rule did not decide (a redirect map without this printer). */
  skipped?: string;
}

export interface Evaluation {
  decision: Decision;
  /** The rules tried, in order, up to the one that decided. */
  trace: RuleTrace[];
}

export interface ExplainingPolicy extends ReleasePolicy {
  evaluate(context: PolicyContext): Promise<Evaluation>;
}

/** What the job must change to meet `grayscale`, `duplex` and `maxCopies`; empty if it already does. */
function neededChanges(
  action: { grayscale?: boolean; duplex?: boolean; maxCopies?: number },
  context: PolicyContext,
): PrintJobConfigurationChange {
  const { configuration } = context.job;
  const changes: PrintJobConfigurationChange = {};
  if (action.grayscale && configuration.colorMode !== 'grayscale' && configuration.colorMode !== 'blackAndWhite')
    changes.colorMode = 'grayscale';
  if (action.duplex && (!configuration.duplexMode || configuration.duplexMode === 'oneSided'))
    changes.duplexMode = 'flipOnLongEdge';
  if (action.maxCopies !== undefined && (configuration.copies ?? 1) > action.maxCopies)
    changes.copies = action.maxCopies;
  return changes;
}

const isEmpty = (changes: object) => Object.keys(changes).length === 0;

/** Turns a rule's action into a decision; undefined means the rule does not apply after all. */
export function toDecision(action: Action, rule: string, context: PolicyContext): Decision | undefined {
  if ('release' in action) return { action: 'release', rule, reason: action.release.reason };
  if ('deny' in action) return { action: 'deny', rule, reason: action.deny.reason };
  if ('hold' in action) return { action: 'hold', rule, ...action.hold };
  if ('releaseWithChanges' in action) {
    const changes = neededChanges(action.releaseWithChanges, context);
    // A job that already complies is simply released: nothing to PATCH.
    if (isEmpty(changes)) return { action: 'release', rule, reason: action.releaseWithChanges.reason };
    return { action: 'release-with-changes', rule, changes, reason: action.releaseWithChanges.reason };
  }
  const redirect = action.redirect;
  const source = context.job.printerId.toLowerCase();
  const destination =
    redirect.printerId ?? Object.entries(redirect.map ?? {}).find(([from]) => from.toLowerCase() === source)?.[1];
  if (!destination) return undefined;
  if (destination.toLowerCase() === source) return { action: 'release', rule, reason: redirect.reason };
  const changes = neededChanges(redirect, context);
  return {
    action: 'redirect',
    rule,
    printerId: destination,
    ...(isEmpty(changes) ? {} : { configuration: changes }),
    reason: redirect.reason,
  };
}

/** A declarative policy as a ReleasePolicy that can also explain itself. */
export function compilePolicy(file: PolicyFile, env: Omit<EvaluationEnvironment, 'timeZone'>): ExplainingPolicy {
  const environment: EvaluationEnvironment = { ...env, timeZone: file.timeZone };
  async function evaluate(context: PolicyContext): Promise<Evaluation> {
    const trace: RuleTrace[] = [];
    let decision: Decision | undefined;
    for (const rule of file.rules) {
      const conditions: ConditionTrace[] = [];
      const matched = await holds(rule.when, context, environment, conditions);
      const entry: RuleTrace = { rule: rule.name, matched, conditions };
      trace.push(entry);
      if (!matched) continue;
      decision = toDecision(rule.then, rule.name, context);
      if (decision) break;
      entry.skipped = 'the redirect map has no destination for this printer';
    }
    decision ??= toDecision(file.default, 'default', context) ?? { action: 'release', rule: 'default' };
    if (file.shadowMode && decision.action !== 'release') {
      decision = {
        action: 'release',
        rule: 'shadow mode',
        reason: `Shadow mode: would ${decision.action} (${decision.rule})`,
        shadowOf: decision,
      };
    } else if (file.shadowMode && decision.action === 'release') {
      decision = { ...decision, shadowOf: { ...decision } };
    }
    return { decision, trace };
  }
  return {
    name: file.name,
    evaluate,
    decide: async (context) => (await evaluate(context)).decision,
  };
}

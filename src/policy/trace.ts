import type { Decision, PolicyContext, ReleasePolicy } from './decision';

/** One condition checked, with its nesting depth (0 = a key of the rule's `when`). */
export interface ConditionTrace {
  condition: string;
  holds: boolean;
  depth: number;
  /** What the job had, e.g. the UPN or "tue 10:00 in Europe/London". */
  detail?: string;
}

/** One rule tried. Conditions stop at the first that fails, so later ones may be missing. */
export interface RuleTrace {
  rule: string;
  /** 0-based position in `rules`. */
  index: number;
  matched: boolean;
  conditions: ConditionTrace[];
  /** Why a matching rule did not decide: a redirect map without this printer, a failed plug-in. */
  skipped?: string;
}

export interface Evaluation {
  /** What the processor acts on (in shadow mode: a release, with `shadowOf`). */
  decision: Decision;
  /** The rules tried, in order, up to the one that decided. */
  trace: RuleTrace[];
  /** The rule that decided ("default" when none matched), before shadow mode. */
  decidedBy: string;
  shadowMode: boolean;
}

/** A policy that can say how it decided. Declarative policies are; code plug-ins need not be. */
export interface ExplainingPolicy extends ReleasePolicy {
  evaluate(context: PolicyContext): Promise<Evaluation>;
}

export const canExplain = (policy: ReleasePolicy): policy is ExplainingPolicy =>
  typeof (policy as Partial<ExplainingPolicy>).evaluate === 'function';

/** The decision and, when the policy can explain itself, how it got there (for the audit). */
export async function evaluateWithTrace(policy: ReleasePolicy, context: PolicyContext): Promise<Evaluation> {
  if (canExplain(policy)) return policy.evaluate(context);
  const decision = await policy.decide(context);
  return { decision, trace: [], decidedBy: decision.rule, shadowMode: false };
}

/**
 * One line for the audit: each rule tried, ✔ or ✘, with the first condition that failed.
 * e.g. `✘ after hours (time); ✔ students`. Bounded, since audit properties are.
 */
export function traceSummary(evaluation: Evaluation, maxLength = 1000): string {
  const parts = evaluation.trace.map((step) => {
    if (step.matched) return `✔ ${step.rule}${step.skipped ? ` (skipped: ${step.skipped})` : ''}`;
    const failed = step.conditions.find((c) => c.depth === 0 && !c.holds);
    return `✘ ${step.rule}${failed ? ` (${failed.condition})` : ''}`;
  });
  if (evaluation.decidedBy === 'default') parts.push('default');
  const summary = parts.join('; ');
  return summary.length > maxLength ? `${summary.slice(0, maxLength - 1)}…` : summary;
}

/** The explanation as an admin reads it (the CLI's explain). */
export function describeEvaluation(evaluation: Evaluation): string[] {
  const lines: string[] = [];
  for (const step of evaluation.trace) {
    lines.push(
      `  ${step.matched ? '✔' : '✘'} rule ${step.index + 1} "${step.rule}"${step.skipped ? ` (matched, but ${step.skipped})` : ''}`,
    );
    for (const c of step.conditions)
      lines.push(`${'  '.repeat(c.depth + 3)}${c.holds ? '✔' : '✘'} ${c.condition}${c.detail ? ` (${c.detail})` : ''}`);
  }
  if (evaluation.decidedBy === 'default') lines.push('  no rule matched: the default decides');
  const d = evaluation.decision;
  const shown = d.action === 'release' && d.shadowOf && evaluation.shadowMode ? d.shadowOf : d;
  if (shown !== d) lines.push(`Shadow mode: the job is released; the policy would have decided:`);
  lines.push(`Decision: ${shown.action} by rule "${shown.rule}"${shown.reason ? `: ${shown.reason}` : ''}`);
  if (shown.action === 'release-with-changes') lines.push(`  changes: ${JSON.stringify(shown.changes)}`);
  if (shown.action === 'redirect')
    lines.push(
      `  to printer ${shown.printerId}${shown.configuration ? ` with ${JSON.stringify(shown.configuration)}` : ''}`,
    );
  if (shown.action === 'hold') lines.push(`  held for ${shown.expiresInMinutes} minutes, then ${shown.onExpiry}`);
  return lines;
}

import type { Decision } from './decision';
import type { Evaluation, ExplainingPolicy } from './trace';
import { errorText } from '../observability/log';

/**
 * Shadow mode: the decision the policy made is kept in `shadowOf` (audited and logged), and the
 * job is released. A release keeps its own rule; anything else becomes rule "shadow mode".
 */
export function shadowDecision(decision: Decision): Decision {
  if (decision.action === 'release') return { ...decision, shadowOf: { ...decision } };
  return {
    action: 'release',
    rule: 'shadow mode',
    reason: `Shadow mode: would ${decision.action} (${decision.rule})`,
    shadowOf: decision,
  };
}

/** What shadow mode decides when the policy itself failed or ran out of time: release. */
export function shadowFailure(error: unknown): Evaluation {
  const rule = 'shadow mode: policy error';
  return {
    decision: {
      action: 'release',
      rule,
      reason: `Shadow mode: the policy failed (${errorText(error)})`,
    },
    trace: [],
    decidedBy: rule,
    shadowMode: true,
  };
}

/**
 * A policy in shadow mode never denies, not even when it fails: an error or a time-out is
 * reported and the job released, since a policy being tried out must not stop anyone printing.
 */
export function inShadowMode(policy: ExplainingPolicy, onError?: (error: unknown) => void): ExplainingPolicy {
  async function evaluate(context: Parameters<ExplainingPolicy['evaluate']>[0]): Promise<Evaluation> {
    try {
      const evaluation = await policy.evaluate(context);
      return evaluation.shadowMode
        ? evaluation
        : { ...evaluation, shadowMode: true, decision: shadowDecision(evaluation.decision) };
    } catch (error) {
      onError?.(error);
      return shadowFailure(error);
    }
  }
  return {
    name: policy.name,
    evaluate,
    decide: async (context) => (await evaluate(context)).decision,
    // Usage is still read (the decision would depend on it), though shadow mode charges nothing.
    get quotas() {
      return policy.quotas;
    },
  };
}

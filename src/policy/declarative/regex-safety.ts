import type * as Recheck from 'recheck';

/**
 * The admin's regular expressions run synchronously on text users choose (document names): one
 * with catastrophic backtracking would stall the worker on a crafted name. Each expression is
 * checked once, when a policy is loaded, by recheck (an automaton-based ReDoS checker): exponential
 * or cubic-and-worse backtracking is refused; quadratic is allowed, since names are cut to
 * {@link MAX_MATCHED_LENGTH} characters before matching (512² steps cost well under a millisecond).
 */
export const MAX_MATCHED_LENGTH = 512;

const verdicts = new Map<string, string | undefined>();

/**
 * recheck (a Scala.js bundle, ~0.2 s to load) is loaded at the first expression, not by every
 * process that imports the policy code: most policies have no expression, the webhook none at all.
 */
let recheck: typeof Recheck | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load (check is sync)
const loadRecheck = (): typeof Recheck => (recheck ??= require('recheck') as typeof Recheck);

/** Why an expression is refused (with the `i` flag the policy uses), or undefined when it is safe. */
export function unsafeRegexReason(source: string): string | undefined {
  if (verdicts.has(source)) return verdicts.get(source);
  const verdict = judge(source);
  verdicts.set(source, verdict);
  return verdict;
}

function judge(source: string): string | undefined {
  try {
    new RegExp(source, 'i');
  } catch {
    return 'expected a valid regular expression, e.g. "confidential|secret"';
  }
  const result = loadRecheck().checkSync(source, 'i', { timeout: 5000 });
  if (result.status === 'safe') return undefined;
  if (result.status === 'unknown')
    return `could not be proven safe from catastrophic backtracking (${result.error.kind}); simplify it`;
  const { complexity } = result;
  if (complexity.type === 'polynomial' && complexity.degree <= 2) return undefined;
  return (
    `can backtrack catastrophically (${complexity.summary}) on a crafted document name; ` +
    'avoid nested or overlapping repetition such as (a+)+, (a|a)* or .*x.*x.*'
  );
}

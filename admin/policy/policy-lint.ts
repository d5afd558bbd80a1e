import type { PolicyFile } from '../../src/policy/declarative/policy-schema';

/**
 * Valid, but probably not what the admin meant: rules that can never decide, redirects to the
 * same printer. Warnings only; the policy still loads.
 */
export function lintPolicy(policy: PolicyFile): string[] {
  const warnings: string[] = [];
  const catchAll = policy.rules.findIndex(
    (rule) => Object.keys(rule.when).length === 0 && !('redirect' in rule.then && rule.then.redirect.map),
  );
  if (catchAll >= 0 && catchAll < policy.rules.length - 1) {
    const unreachable = policy.rules.slice(catchAll + 1).map((r) => `"${r.name}"`);
    warnings.push(
      `rule ${catchAll + 1} "${policy.rules[catchAll]!.name}" matches every job ("when": {}), so ${unreachable.join(', ')} and the default never decide`,
    );
  }
  policy.rules.forEach((rule, index) => {
    if (!('redirect' in rule.then)) return;
    for (const [from, to] of Object.entries(rule.then.redirect.map ?? {}))
      if (from.toLowerCase() === to.toLowerCase())
        warnings.push(
          `rule ${index + 1} "${rule.name}": then.redirect.map sends ${from} to itself (the job is released there)`,
        );
  });
  return warnings;
}

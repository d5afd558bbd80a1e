import { nearest } from '../../config/nearest';
import type { QuotaStanding } from '../../quota/quota-model';

/**
 * How rules refer to quotas: `{ "quota": { "name", "state" } }` conditions and reason placeholders
 * `{used} {limit} {remaining} {period} {quota}` (the quota the rule's condition names) and
 * `{used:<name>} {remaining:<name>} {limit:<name>} {period:<name>}` (any declared quota). Checked when the policy
 * loads, so a placeholder that cannot be filled never reaches a user.
 */

const PLACEHOLDER = /\{([A-Za-z]+)(?::([^{}]*))?\}/g;
const OWN = ['used', 'limit', 'remaining', 'period', 'quota'];
const NAMED = ['used', 'limit', 'remaining', 'period'];

interface ConditionLike {
  quota?: { name?: unknown };
  all?: unknown;
  any?: unknown;
  not?: unknown;
}

/** Every quota a condition names, with the path to the name (for messages). */
export function quotaConditions(condition: unknown, path: PropertyKey[] = []): { name: string; path: PropertyKey[] }[] {
  if (!condition || typeof condition !== 'object') return [];
  const c = condition as ConditionLike;
  const found: { name: string; path: PropertyKey[] }[] = [];
  if (typeof c.quota?.name === 'string') found.push({ name: c.quota.name, path: [...path, 'quota', 'name'] });
  for (const key of ['all', 'any'] as const) {
    const parts = c[key];
    if (Array.isArray(parts)) parts.forEach((part, i) => found.push(...quotaConditions(part, [...path, key, i])));
  }
  if (c.not) found.push(...quotaConditions(c.not, [...path, 'not']));
  return found;
}

/** The quota the bare placeholders of a rule refer to: the one its condition names, if exactly one. */
export function ruleQuota(condition: unknown): string | undefined {
  const names = new Set(quotaConditions(condition).map((c) => c.name));
  return names.size === 1 ? [...names][0] : undefined;
}

export interface ReferenceIssue {
  path: PropertyKey[];
  message: string;
}

const unknownQuota = (name: string, declared: string[]) => {
  const guess = nearest(name, declared);
  return `no quota is named "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; ${
    declared.length ? `the policy declares: ${declared.join(', ')}` : 'the policy declares no quotas ("quotas": [ … ])'
  }`;
};

/** Problems with one reason's placeholders; `own` is the rule's quota (undefined: none or several). */
function placeholderIssues(reason: string, own: string | undefined, owns: string[], declared: string[]): string[] {
  const problems: string[] = [];
  for (const [text, word, name] of reason.matchAll(PLACEHOLDER)) {
    if (name === undefined) {
      if (!OWN.includes(word!)) {
        const guess = nearest(word!, OWN);
        problems.push(
          `unknown placeholder ${text}${guess ? ` (did you mean "{${guess}}"?)` : ''}; expected {${OWN.join('}, {')}} or {used:<quota>}, {remaining:<quota>}, {limit:<quota>}, {period:<quota>}`,
        );
      } else if (!own)
        problems.push(
          owns.length > 1
            ? `placeholder ${text} is ambiguous: the rule's condition names quotas ${owns.join(', ')}; write {${word}:<quota>}`
            : `placeholder ${text} needs a rule whose condition names a quota ({ "quota": { "name", "state" } }); elsewhere write {${word === 'quota' ? 'used' : word}:<quota>}`,
        );
    } else if (!NAMED.includes(word!))
      problems.push(
        `unknown placeholder ${text}; expected {used:<quota>}, {remaining:<quota>}, {limit:<quota>} or {period:<quota>}`,
      );
    else if (!declared.includes(name)) problems.push(`placeholder ${text}: ${unknownQuota(name, declared)}`);
  }
  return problems;
}

const reasonOf = (action: unknown): { key: string; reason: string } | undefined => {
  if (!action || typeof action !== 'object') return undefined;
  const [key, body] = Object.entries(action)[0] ?? [];
  const reason = (body as { reason?: unknown } | undefined)?.reason;
  return key && typeof reason === 'string' ? { key, reason } : undefined;
};

/**
 * Quota names that are not unique, conditions that name no declared quota (with the nearest one)
 * and placeholders that cannot be filled. Runs on an unchecked policy, so every error shows at once.
 */
export function quotaReferenceIssues(policy: {
  quotas?: unknown;
  rules?: unknown;
  default?: unknown;
}): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const quotas = Array.isArray(policy.quotas) ? (policy.quotas as unknown[]) : [];
  const declared: string[] = [];
  const seen = new Map<string, number>();
  quotas.forEach((quota, index) => {
    const name = (quota as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    const first = seen.get(name.toLowerCase());
    if (first !== undefined)
      issues.push({
        path: ['quotas', index, 'name'],
        message: `quota ${first + 1} has the same name "${name}"; quota names must be unique (usage is kept by name)`,
      });
    else {
      seen.set(name.toLowerCase(), index);
      declared.push(name);
    }
  });
  const rules = Array.isArray(policy.rules) ? (policy.rules as unknown[]) : [];
  rules.forEach((rule, index) => {
    const { when, then } = (rule ?? {}) as { when?: unknown; then?: unknown };
    const named = quotaConditions(when, ['rules', index, 'when']);
    for (const { name, path } of named)
      if (!declared.includes(name)) issues.push({ path, message: unknownQuota(name, declared) });
    const found = reasonOf(then);
    if (!found) return;
    const owns = [...new Set(named.map((n) => n.name))];
    for (const message of placeholderIssues(found.reason, ruleQuota(when), owns, declared))
      issues.push({ path: ['rules', index, 'then', found.key, 'reason'], message });
  });
  const fallback = reasonOf(policy.default);
  if (fallback)
    for (const message of placeholderIssues(fallback.reason, undefined, [], declared))
      issues.push({ path: ['default', fallback.key, 'reason'], message });
  return issues;
}

/** Whether a reason has placeholders to fill (most have none: no quota look-up then). */
export const hasPlaceholders = (reason: string) => new RegExp(PLACEHOLDER.source).test(reason);

/**
 * A reason with its placeholders filled from the owner's standings. A quota that does not apply
 * to the owner now reads "n/a" (its name still reads as itself).
 */
export async function fillReason(
  reason: string,
  own: string | undefined,
  standing: (name: string) => Promise<QuotaStanding | undefined>,
): Promise<string> {
  const matches = [...reason.matchAll(PLACEHOLDER)];
  if (matches.length === 0) return reason;
  const values = new Map<string, string>();
  for (const [text, word, named] of matches) {
    const name = named ?? own;
    if (!name || values.has(text)) continue; // validation refuses these; left as written
    if (word === 'quota') {
      values.set(text, name);
      continue;
    }
    const s = await standing(name);
    const value =
      word === 'used'
        ? s?.used
        : word === 'limit'
          ? s?.limit
          : word === 'remaining'
            ? s?.remaining
            : word === 'period'
              ? s?.period.label
              : undefined;
    values.set(text, value === undefined ? 'n/a' : String(value));
  }
  return reason.replace(PLACEHOLDER, (text) => values.get(text) ?? text);
}

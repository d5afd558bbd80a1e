import { z } from 'zod';
import { issuesText } from '../../config/zod-issues';
import { GUID_PATTERN } from '../../config/guid';
import { editDistance } from '../../config/nearest';
import { bytes, SIZE_PATTERN } from './sizes';
import { isTimeZone, toMinutes } from './time-window';
import { unsafeRegexReason } from './regex-safety';
import { quotasSchema } from './quota-schema';
import { quotaReferenceIssues } from './quota-references';

export { bytes } from './sizes';

/**
 * The declarative policy file (JSON). Ordered rules, first match wins, then `default`. Every part
 * is described, so the generated JSON Schema (policies/policy.schema.json) gives editors completion
 * and help, and `parsePolicy` gives errors that name the rule and the field.
 */

export const sizeSchema = z
  .union([z.number().int().nonnegative(), z.string().regex(SIZE_PATTERN, 'expected a size like 512KB, 20MB or 1GB')])
  .describe('A size in bytes, or with a unit: "512KB", "20MB", "1GB" (1 KB = 1024 bytes).');

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a 24-hour time like 07:30');
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const guid = z.string().regex(GUID_PATTERN, 'expected an object id (a GUID)');
const names = z.array(z.string().min(1)).min(1);
const timeZone = z.string().refine(isTimeZone, 'expected an IANA time zone such as Europe/London or America/New_York');

const includeExclude = <T extends z.ZodType>(item: T, what: string) =>
  z
    .strictObject({
      include: z.array(item).min(1).optional().describe(`Matches when the ${what} is one of these.`),
      exclude: z.array(item).min(1).optional().describe(`Never matches when the ${what} is one of these.`),
    })
    .refine((v) => v.include || v.exclude, 'needs include or exclude');

const range = <T extends z.ZodType<number | string | undefined>>(bound: T, toNumber: (v: never) => number) =>
  z
    .strictObject({ min: bound.optional(), max: bound.optional() })
    .refine((v) => v.min !== undefined || v.max !== undefined, 'needs min or max')
    .refine((v) => v.min === undefined || v.max === undefined || toNumber(v.min as never) <= toNumber(v.max as never), {
      message: 'min is larger than max, so nothing could match',
      path: ['min'],
    });

export interface Condition {
  users?: { include?: string[]; exclude?: string[] };
  groups?: { include?: string[]; exclude?: string[] };
  printers?: { ids?: string[]; names?: string[] };
  location?: { site?: string[]; building?: string[]; floor?: string[] };
  documentSize?: { min?: number | string; max?: number | string };
  contentType?: string[];
  documentName?: string;
  copies?: { min?: number; max?: number };
  colorMode?: ('color' | 'grayscale' | 'blackAndWhite' | 'auto')[];
  duplex?: boolean;
  mediaSize?: string[];
  time?: {
    days?: ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[];
    from?: string;
    to?: string;
    timeZone?: string;
  };
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
  plugin?: string;
  quota?: { name: string; state: 'reached' | 'wouldExceed' };
}

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z
    .strictObject({
      users: includeExclude(
        z.string().min(1),
        "owner's user principal name (UPN; * is a wildcard, e.g. *@students.contoso.edu)",
      )
        .optional()
        .describe('The job owner, by UPN (case-insensitive).'),
      groups: includeExclude(guid, "owner's group (object id)")
        .optional()
        .describe('Group membership of the owner (needs the GroupMember.Read.All permission).'),
      printers: z
        .strictObject({
          ids: z.array(guid).min(1).optional().describe('Printer ids.'),
          names: names.optional().describe('Display names (* is a wildcard, case-insensitive).'),
        })
        .refine((v) => v.ids || v.names, 'needs ids or names')
        .optional()
        .describe('The printer the job was sent to.'),
      location: z
        .strictObject({
          site: names.optional(),
          building: names.optional(),
          floor: names.optional(),
        })
        .refine((v) => v.site || v.building || v.floor, 'needs site, building or floor')
        .optional()
        .describe("The printer's location; every part given must match (* is a wildcard)."),
      documentSize: range(sizeSchema, bytes).optional().describe('Document size range, inclusive.'),
      contentType: names.optional().describe('Document content types, e.g. "application/pdf" or "image/*".'),
      documentName: z
        .string()
        .min(1)
        .superRefine((v, ctx) => {
          // Refused at load: a bad expression never runs on a user's document name.
          const reason = unsafeRegexReason(v);
          if (reason) ctx.addIssue({ code: 'custom', message: reason });
        })
        .optional()
        .describe('A regular expression the document name must match (case-insensitive).'),
      copies: range(z.number().int().min(1), (v: number) => v)
        .optional()
        .describe('Number of copies, inclusive.'),
      colorMode: z
        .array(z.enum(['color', 'grayscale', 'blackAndWhite', 'auto']))
        .min(1)
        .optional()
        .describe('Requested colour modes (a job that names none counts as "auto").'),
      duplex: z.boolean().optional().describe('true: the job prints on both sides; false: one-sided.'),
      mediaSize: names.optional().describe('Paper sizes, e.g. "A4", "A3", "North America Letter".'),
      time: z
        .strictObject({
          days: z.array(weekday).min(1).optional().describe('Weekdays (default: every day).'),
          from: clock.optional().describe('Start, inclusive (default 00:00).'),
          to: clock.optional().describe('End, exclusive (default 24:00); earlier than from means it crosses midnight.'),
          timeZone: timeZone.optional().describe('IANA time zone (default: the policy time zone).'),
        })
        .refine((v) => !v.from || !v.to || toMinutes(v.from) !== toMinutes(v.to), {
          message: 'from and to are the same time, so the window is empty (leave both out for the whole day)',
          path: ['to'],
        })
        .optional()
        .describe('When the job is decided (in practice, when it was submitted).'),
      all: z.array(conditionSchema).min(1).optional().describe('Every condition must hold.'),
      any: z.array(conditionSchema).min(1).optional().describe('At least one condition must hold.'),
      not: conditionSchema.optional().describe('The condition must not hold.'),
      plugin: z.string().min(1).optional().describe('A named condition exported by the policy plug-in module.'),
      quota: z
        .strictObject({
          name: z.string().min(1).describe('A quota the policy declares in "quotas".'),
          state: z
            .enum(['reached', 'wouldExceed'])
            .describe(
              'reached: the owner has used the whole limit; wouldExceed: this job would take the owner over it (a job that costs nothing in the measure never does).',
            ),
        })
        .optional()
        .describe(
          "Where the job's owner stands on a quota; a quota that does not apply to the owner now (not listed, outside its terms) never holds.",
        ),
    })
    .describe('Every key present must hold (an implicit "all"). An empty object always matches.'),
);

const changes = {
  grayscale: z.boolean().optional().describe('Print in grayscale (a black-and-white job stays as it is).'),
  duplex: z.boolean().optional().describe('Print on both sides (long edge) unless already two-sided.'),
  maxCopies: z.number().int().min(1).optional().describe('At most this many copies.'),
};
const reason = z.string().min(1).max(250).optional().describe('Shown to the user where Graph allows, and audited.');

export const actionSchema = z
  .union([
    z.strictObject({ release: z.strictObject({ reason }).describe('The job prints as it is.') }),
    z.strictObject({
      releaseWithChanges: z
        .strictObject({ ...changes, reason })
        .refine((v) => v.grayscale || v.duplex || v.maxCopies, 'needs grayscale, duplex or maxCopies')
        .describe('The job is changed, then prints; a job that already complies is simply released.'),
    }),
    z.strictObject({
      redirect: z
        .strictObject({
          printerId: guid.optional().describe('Send every matching job to this printer.'),
          map: z
            .record(guid, guid)
            .optional()
            .describe(
              'From source printer id to destination printer id; a printer not in the map does not match the rule (the next rule is tried).',
            ),
          ...changes,
          reason,
        })
        .refine((v) => !!v.printerId !== !!v.map, 'needs exactly one of printerId or map')
        .describe('The job moves to another printer, optionally changed on the way.'),
    }),
    z.strictObject({
      deny: z
        .strictObject({
          reason: z
            .string()
            .trim()
            .min(1, 'must say something (it is shown to the user)')
            .max(250)
            .describe('Shown to the user: say why and what to do instead.'),
        })
        .describe('The job is cancelled; the reason is shown to the user.'),
    }),
    z.strictObject({
      hold: z
        .strictObject({
          expiresInMinutes: z
            .number()
            .int()
            .min(1)
            .max(7 * 24 * 60)
            .describe('How long the job waits to be released (at most 10080, a week).'),
          onExpiry: z.enum(['release', 'deny']).describe('What happens when nobody released it in time.'),
          releaseAt: z
            .array(guid)
            .min(1)
            .optional()
            .describe('The only printers (ids) where the job may be released, e.g. the confidential printer itself.'),
          keepLongerUpToMinutes: z
            .number()
            .int()
            .min(1)
            .max(7 * 24 * 60)
            .optional()
            .describe(
              'Its owner may keep it longer (each time by expiresInMinutes) up to this many minutes after it was held; unset: never kept longer.',
            ),
          delegation: z
            .boolean()
            .optional()
            .describe(
              'false: only its owner may release it (no delegates, no hand-over to a colleague). Default true.',
            ),
          ...changes,
          reason,
        })
        .describe(
          'The job waits until its owner releases it at a printer; grayscale, duplex and maxCopies apply at release.',
        ),
    }),
  ])
  .describe('Exactly one of release, releaseWithChanges, redirect, deny, hold.');

export const ruleSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, 'must not be blank')
    .max(100)
    .describe('Unique; shown in the audit, the logs and explain output.'),
  description: z.string().optional().describe('For people reading the policy; not used.'),
  when: conditionSchema.describe('When the rule applies ({} always).'),
  then: actionSchema,
});

export const policySchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1).describe('The policy name, shown in the audit.'),
    description: z.string().optional().describe('For people reading the policy; not used.'),
    timeZone: timeZone.default('UTC').describe('Time zone for time conditions (IANA name, default UTC).'),
    shadowMode: z.boolean().default(false).describe('Decide and record, but release every job (a safe roll-out).'),
    quotas: quotasSchema,
    rules: z.array(ruleSchema).describe('Tried in order; the first rule whose condition holds decides.'),
    default: actionSchema.describe('The decision when no rule matches.'),
  })
  .superRefine(
    (policy, ctx) => {
      // The audit and the report count decisions by rule name: two rules with one name would be merged.
      // Run even when other parts are invalid (so every error shows at once): the rules may be anything here.
      const rules: unknown = (policy as { rules?: unknown }).rules;
      if (!Array.isArray(rules)) return;
      const seen = new Map<string, number>();
      rules.forEach((rule: unknown, index) => {
        const name = (rule as { name?: unknown } | null)?.name;
        if (typeof name !== 'string' || name.trim() === '') return;
        const key = name.trim().toLowerCase();
        const first = seen.get(key);
        if (first === undefined) seen.set(key, index);
        else
          ctx.addIssue({
            code: 'custom',
            path: ['rules', index, 'name'],
            message: `rule ${first + 1} has the same name; rule names must be unique (the audit reports by name)`,
          });
      });
      for (const issue of quotaReferenceIssues(policy)) ctx.addIssue({ code: 'custom', ...issue });
    },
    { when: () => true },
  );

export type PolicyFile = z.infer<typeof policySchema>;
export type Rule = z.infer<typeof ruleSchema>;
export type Action = z.infer<typeof actionSchema>;

/** Parses a policy, with errors that name the rule and the field and say what is expected. */
export function parsePolicy(json: unknown): { ok: true; policy: PolicyFile } | { ok: false; errors: string[] } {
  const result = policySchema.safeParse(json, { error: adminMessage, reportInput: true });
  if (result.success) return { ok: true, policy: result.data };
  const lists = json as { rules?: { name?: unknown }[]; quotas?: { name?: unknown }[] } | undefined;
  // A rule is named by its number and name ("rule 2 "Big jobs": when.pages"), not by rules.1; a quota too.
  const where = (path: readonly PropertyKey[]) => {
    const [first, index, ...rest] = path;
    if ((first !== 'rules' && first !== 'quotas') || typeof index !== 'number') return path.map(String).join('.');
    const list = lists?.[first];
    const name = Array.isArray(list) ? list[index]?.name : undefined;
    return `${first === 'rules' ? 'rule' : 'quota'} ${index + 1}${typeof name === 'string' ? ` "${name}"` : ''}${rest.length ? `: ${rest.join('.')}` : ''}`;
  };
  const issues = result.error.issues.flatMap(explainUnion(json)).map(withValue);
  const errors = issuesText({ issues }, { whole: 'policy', where });
  return { ok: false, errors: [...new Set(errors)] };
}

const ACTIONS = ['release', 'releaseWithChanges', 'redirect', 'deny', 'hold'];

/** A bad value as the admin wrote it, shortened: "7am", 0, false. */
const echoed = (value: string | number | boolean) => {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 56)}…${text.slice(-1)}` : text;
};

/** The issue's message with the bad value it is about, when that is a plain value and not yet shown. */
export function withValue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  const { input, ...rest } = issue;
  if (!['string', 'number', 'boolean'].includes(typeof input) || input === '' || issue.message.includes(', got '))
    return rest;
  return { ...rest, message: `${issue.message}, got ${echoed(input as string | number | boolean)}` };
}

const shown = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'string' ? `"${value}"` : typeof value;

/**
 * zod's messages, reworded for an admin editing JSON: what is missing, wrong, or misspelled. Parse with
 * `{ error: adminMessage, reportInput: true }` and map the issues through {@link withValue}.
 */
export function adminMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const description =
    issue.inst && 'description' in issue.inst ? (issue.inst.description as string | undefined) : undefined;
  const missing = issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value');
  if (missing) return `required${description ? ` (${description})` : ''}`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return `expected a whole number, got ${JSON.stringify(issue.input)}`;
      return `expected ${issue.expected === 'object' ? 'an object { … }' : issue.expected === 'array' ? 'a list [ … ]' : `a ${issue.expected}`}, got ${shown(issue.input)}`;
    case 'unrecognized_keys': {
      const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def
        ?.shape;
      const allowed = shape ? Object.keys(shape).filter((k) => k !== '$schema') : [];
      return issue.keys
        .map((key) => {
          const guess = closest(key, allowed);
          return `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}${allowed.length ? `; expected one of: ${allowed.join(', ')}` : ''}`;
        })
        .join('; ');
    }
    case 'invalid_value': {
      const guess =
        typeof issue.input === 'string'
          ? closest(
              issue.input,
              issue.values.filter((v) => typeof v === 'string'),
            )
          : '';
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${shown(issue.input)}${guess ? ` (did you mean "${guess}"?)` : ''}`;
    }
    case 'invalid_format':
      if (issue.format === 'datetime') return 'expected an ISO date and time such as 2026-11-24T10:00:00Z';
      return undefined;
    case 'too_small':
      if (issue.origin === 'array') return 'must not be empty';
      if (issue.origin === 'string') return 'must not be empty';
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
      return `must be at most ${String(issue.maximum)}`;
    default:
      return undefined;
  }
}

/** The allowed key nearest to a misspelled one (edit distance ≤ 3, or the same ignoring case). */
function closest(key: string, allowed: string[]): string | undefined {
  const scored = allowed
    .map((candidate) => ({ candidate, score: editDistance(key.toLowerCase(), candidate.toLowerCase()) }))
    .sort((a, b) => a.score - b.score);
  const best = scored[0];
  if (best && best.score <= Math.min(3, Math.ceil(key.length / 2))) return best.candidate;
  // "colour" for "colorMode", "size" for "documentSize": a shared stem of four letters or more.
  const lower = key.toLowerCase();
  const stems = allowed.filter((candidate) => {
    const other = candidate.toLowerCase();
    return (lower.length >= 4 && other.includes(lower.slice(0, 4))) || (other.length >= 4 && lower.includes(other));
  });
  return stems.length === 1 ? stems[0] : undefined;
}

/**
 * An action is a union; zod reports "Invalid input" for it. Say instead what is wrong with the
 * action the admin wrote (or that it names none of the five).
 */
function explainUnion(json: unknown) {
  return (issue: z.core.$ZodIssue): z.core.$ZodIssue[] => {
    if (issue.code !== 'invalid_union') return [issue];
    const value = issue.path.reduce<unknown>(
      (node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key],
      json,
    );
    if (value === undefined) return [{ ...issue, message: `required: exactly one of ${ACTIONS.join(', ')}` }];
    const keys = value && typeof value === 'object' ? Object.keys(value) : [];
    const key = keys.find((k) => ACTIONS.includes(k));
    if (keys.length !== 1 || !key) {
      const guess = keys.length === 1 ? closest(keys[0]!, ACTIONS) : undefined;
      return [
        {
          ...issue,
          message: `needs exactly one of ${ACTIONS.join(', ')}${keys.length ? `, got ${keys.map((k) => `"${k}"`).join(', ')}` : ''}${guess ? ` (did you mean "${guess}"?)` : ''}`,
        },
      ];
    }
    const branch = issue.errors.find((errors) => errors.length > 0 && errors[0]!.path[0] === key);
    return branch ? branch.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })) : [issue];
  };
}

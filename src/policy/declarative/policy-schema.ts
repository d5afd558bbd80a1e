import { z } from 'zod';

/**
 * The declarative policy file (JSON). Ordered rules, first match wins, then `default`. Every part
 * is described, so the generated JSON Schema (policies/policy.schema.json) gives editors completion
 * and checks.
 */

const SIZE = /^\s*\d+(\.\d+)?\s*(B|KB|MB|GB)?\s*$/i;
const units: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** "20MB", "512KB", or a number of bytes. */
export const sizeSchema = z
  .union([z.number().int().nonnegative(), z.string().regex(SIZE, 'a size like 512KB, 20MB or 1GB')])
  .describe('A size in bytes, or with a unit: "512KB", "20MB", "1GB".');

export function bytes(size: z.infer<typeof sizeSchema>): number {
  if (typeof size === 'number') return size;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?\s*$/i.exec(size)!;
  return Math.round(Number(match[1]) * units[(match[2] ?? 'B').toUpperCase()]!);
}

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time like 07:30');
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a GUID');
const names = z.array(z.string().min(1)).min(1);

const includeExclude = <T extends z.ZodType>(item: T, what: string) =>
  z
    .strictObject({
      include: z.array(item).min(1).optional().describe(`Matches when the ${what} is one of these.`),
      exclude: z.array(item).min(1).optional().describe(`Never matches when the ${what} is one of these.`),
    })
    .refine((v) => v.include || v.exclude, 'needs include or exclude');

export interface Condition {
  users?: { include?: string[]; exclude?: string[] };
  groups?: { include?: string[]; exclude?: string[] };
  printers?: { ids?: string[]; names?: string[] };
  location?: { site?: string[]; building?: string[]; floor?: string[] };
  documentSize?: { min?: number | string; max?: number | string };
  contentType?: string[];
  documentName?: string;
  copies?: { min?: number; max?: number };
  colorMode?: string[];
  duplex?: boolean;
  mediaSize?: string[];
  time?: { days?: string[]; from?: string; to?: string; timeZone?: string };
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
  plugin?: string;
}

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z
    .strictObject({
      users: includeExclude(
        z.string().min(1),
        "owner's user principal name (UPN; * is a wildcard, e.g. *@students.contoso.edu)",
      )
        .optional()
        .describe('The job owner, by UPN.'),
      groups: includeExclude(guid, "owner's group (object id)")
        .optional()
        .describe('Group membership of the owner (needs the GroupMember.Read.All permission).'),
      printers: z
        .strictObject({
          ids: z.array(guid).min(1).optional(),
          names: names.optional().describe('Display names (* is a wildcard).'),
        })
        .refine((v) => v.ids || v.names, 'needs ids or names')
        .optional()
        .describe('The printer the job was sent to.'),
      location: z
        .strictObject({ site: names.optional(), building: names.optional(), floor: names.optional() })
        .refine((v) => v.site || v.building || v.floor, 'needs site, building or floor')
        .optional()
        .describe("The printer's location; every part given must match."),
      documentSize: z
        .strictObject({ min: sizeSchema.optional(), max: sizeSchema.optional() })
        .refine((v) => v.min !== undefined || v.max !== undefined, 'needs min or max')
        .optional()
        .describe('Document size range, inclusive.'),
      contentType: names.optional().describe('Document content types, e.g. "application/pdf" or "image/*".'),
      documentName: z
        .string()
        .min(1)
        .refine((v) => {
          try {
            new RegExp(v, 'i');
            return true;
          } catch {
            return false;
          }
        }, 'a valid regular expression')
        .optional()
        .describe('A regular expression the document name must match (case-insensitive).'),
      copies: z
        .strictObject({ min: z.number().int().min(1).optional(), max: z.number().int().min(1).optional() })
        .refine((v) => v.min !== undefined || v.max !== undefined, 'needs min or max')
        .optional()
        .describe('Number of copies, inclusive.'),
      colorMode: z
        .array(z.enum(['color', 'grayscale', 'blackAndWhite', 'auto']))
        .min(1)
        .optional()
        .describe('Requested colour modes.'),
      duplex: z.boolean().optional().describe('true: the job prints on both sides; false: one-sided.'),
      mediaSize: names.optional().describe('Paper sizes, e.g. "A4", "A3", "North America Letter".'),
      time: z
        .strictObject({
          days: z.array(weekday).min(1).optional().describe('Weekdays (default: every day).'),
          from: clock.optional().describe('Start, inclusive (default 00:00).'),
          to: clock.optional().describe('End, exclusive (default 24:00); earlier than from means it crosses midnight.'),
          timeZone: z.string().optional().describe('IANA time zone (default: the policy time zone).'),
        })
        .optional()
        .describe('When the job was submitted.'),
      all: z.array(conditionSchema).min(1).optional().describe('Every condition must hold.'),
      any: z.array(conditionSchema).min(1).optional().describe('At least one condition must hold.'),
      not: conditionSchema.optional().describe('The condition must not hold.'),
      plugin: z.string().min(1).optional().describe('A named condition exported by the policy plug-in module.'),
    })
    .describe('Every key present must hold (an implicit "all"). An empty object always matches.'),
);

const changes = {
  grayscale: z.boolean().optional().describe('Print in grayscale.'),
  duplex: z.boolean().optional().describe('Print on both sides (long edge).'),
  maxCopies: z.number().int().min(1).optional().describe('At most this many copies.'),
};
const reason = z.string().min(1).max(250).optional().describe('Shown to the user where Graph allows, and audited.');

export const actionSchema = z
  .union([
    z.strictObject({ release: z.strictObject({ reason }) }),
    z.strictObject({
      releaseWithChanges: z
        .strictObject({ ...changes, reason })
        .refine((v) => v.grayscale || v.duplex || v.maxCopies, 'needs grayscale, duplex or maxCopies'),
    }),
    z.strictObject({
      redirect: z
        .strictObject({
          printerId: guid.optional().describe('Send every matching job to this printer.'),
          map: z
            .record(guid, guid)
            .optional()
            .describe('From source printer id to destination printer id; an unmapped printer does not match the rule.'),
          ...changes,
          reason,
        })
        .refine((v) => !!v.printerId !== !!v.map, 'needs exactly one of printerId or map'),
    }),
    z.strictObject({
      deny: z.strictObject({
        reason: z.string().min(1).max(250).describe('Shown to the user: say why and what to do.'),
      }),
    }),
    z.strictObject({
      hold: z.strictObject({
        expiresInMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60)
          .describe('How long the job waits to be released.'),
        onExpiry: z.enum(['release', 'deny']).describe('What happens when nobody released it in time.'),
        reason,
      }),
    }),
  ])
  .describe('Exactly one of release, releaseWithChanges, redirect, deny, hold.');

export const ruleSchema = z.strictObject({
  name: z.string().min(1).max(100).describe('Shown in the audit, the logs and explain output.'),
  description: z.string().optional(),
  when: conditionSchema.describe('When the rule applies.'),
  then: actionSchema,
});

export const policySchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).describe('The policy name, shown in the audit.'),
  timeZone: z
    .string()
    .default('UTC')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'an IANA time zone such as Europe/London')
    .describe('Time zone for time conditions (IANA name).'),
  shadowMode: z.boolean().default(false).describe('Decide and record, but release every job (a safe roll-out).'),
  rules: z.array(ruleSchema).describe('Tried in order; the first rule whose condition holds decides.'),
  default: actionSchema.describe('The decision when no rule matches.'),
});

export type PolicyFile = z.infer<typeof policySchema>;
export type Rule = z.infer<typeof ruleSchema>;
export type Action = z.infer<typeof actionSchema>;

/** Parses a policy, with errors that name the rule and the field. */
export function parsePolicy(json: unknown): { ok: true; policy: PolicyFile } | { ok: false; errors: string[] } {
  const result = policySchema.safeParse(json);
  if (result.success) return { ok: true, policy: result.data };
  const rules = (json as { rules?: { name?: unknown }[] } | undefined)?.rules;
  const errors = result.error.issues.flatMap(explainUnion(json)).map((issue) => {
    const [first, index, ...rest] = issue.path;
    let where = issue.path.join('.');
    if (first === 'rules' && typeof index === 'number') {
      const name = rules?.[index]?.name;
      where = `rule ${index + 1}${typeof name === 'string' ? ` "${name}"` : ''}${rest.length ? `: ${rest.join('.')}` : ''}`;
    }
    return `${where || 'policy'}: ${issue.message}`;
  });
  return { ok: false, errors };
}

const ACTIONS = ['release', 'releaseWithChanges', 'redirect', 'deny', 'hold'];

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
    const keys = value && typeof value === 'object' ? Object.keys(value) : [];
    const key = keys.find((k) => ACTIONS.includes(k));
    if (keys.length !== 1 || !key) {
      return [{ ...issue, message: `needs exactly one of ${ACTIONS.join(', ')}` }];
    }
    const branch = issue.errors.find((errors) => errors.length > 0 && errors[0]!.path[0] === key);
    return branch ? branch.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })) : [issue];
  };
}

import { z } from 'zod';
import { GUID_PATTERN } from '../../config/guid';
import { parseIsoDate, termKey } from '../../quota/periods';
import { QUOTA_MEASURES, type QuotaDefinition, type QuotaPeriod } from '../../quota/quota-model';
import type { PolicyQuotas } from '../../quota/standings';
import { isTimeZone } from './time-window';
import { quotaReferenceIssues } from './quota-references';

/**
 * The `quotas` of a declarative policy (also what a code plug-in exports): each user may use so
 * many jobs, copies or pages per day, week, month or named term. Rules test them with
 * `{ "quota": { "name", "state" } }` and reasons quote them with placeholders (quota-references.ts).
 */

export const QUOTA_NAME_PATTERN = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;

const isoDay = z
  .string()
  .refine((text) => !!parseIsoDate(text), 'expected a date that exists, written YYYY-MM-DD (e.g. 2026-09-01)');

const termSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(60).describe('Shown to users: "this term (Autumn 2026)".'),
    start: isoDay.describe('First day (YYYY-MM-DD, in the policy time zone).'),
    end: isoDay.describe('Last day, included (YYYY-MM-DD).'),
  })
  .refine((t) => !parseIsoDate(t.start) || !parseIsoDate(t.end) || t.start <= t.end, {
    message: 'end is before start, so the term has no days',
    path: ['end'],
  });

const periodSchema = z
  .strictObject({
    every: z
      .enum(['day', 'week', 'month'])
      .optional()
      .describe('Calendar periods in the policy time zone; weeks are ISO weeks (Monday first).'),
    terms: z.array(termSchema).min(1).optional().describe('Named terms; outside every term the quota does not apply.'),
  })
  .refine((p) => (p.every === undefined) !== (p.terms === undefined), 'needs exactly one of every or terms')
  .superRefine((p, ctx) => {
    const terms = (p.terms ?? []).filter((t) => parseIsoDate(t.start) && parseIsoDate(t.end) && t.start <= t.end);
    const sorted = [...terms].sort((a, b) => a.start.localeCompare(b.start));
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i]!.start <= sorted[i - 1]!.end)
        ctx.addIssue({
          code: 'custom',
          path: ['terms', p.terms!.indexOf(sorted[i]!), 'start'],
          message: `term "${sorted[i]!.name}" (${sorted[i]!.start} to ${sorted[i]!.end}) overlaps term "${sorted[i - 1]!.name}" (${sorted[i - 1]!.start} to ${sorted[i - 1]!.end}); a day belongs to one term`,
        });
    const keys = new Map<string, string>();
    (p.terms ?? []).forEach((t, index) => {
      const other = keys.get(termKey(t.name));
      if (other !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['terms', index, 'name'],
          message: `"${t.name}" is the same name as term "${other}"; term names must differ (usage is kept by term name)`,
        });
      else keys.set(termKey(t.name), t.name);
    });
  })
  .transform((p): QuotaPeriod => (p.every ? { every: p.every } : { terms: p.terms! }))
  .describe('{ "every": "day" | "week" | "month" } or { "terms": [{ "name", "start", "end" }] }.');

export const quotaSchema = z.strictObject({
  name: z
    .string()
    .regex(QUOTA_NAME_PATTERN, 'expected letters, digits and dashes, like colour-pages')
    .max(60)
    .describe('Unique; rule conditions and reason placeholders name it.'),
  description: z.string().optional().describe('For people reading the policy; not used.'),
  measure: z
    .enum(QUOTA_MEASURES)
    .describe(
      'What is counted: jobs, copies, colorJobs, colorCopies, pages or colorPages (colour: color or auto jobs; pages: see the README).',
    ),
  limit: z.number().int().min(0).describe('What each user may use per period (a top-up adds to it).'),
  period: periodSchema,
  users: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('Applies to these users (UPN, case-insensitive; * is a wildcard). Neither users nor groups: everyone.'),
  groups: z
    .array(z.string().regex(GUID_PATTERN, 'expected an object id (a GUID)'))
    .min(1)
    .optional()
    .describe('Applies to members of these groups (object ids; needs GroupMember.Read.All).'),
});

export const quotasSchema = z
  .array(quotaSchema)
  // A job's counters change in one entity-group transaction (at most 100 operations, one is the charge row).
  .max(99, 'at most 99 quotas: a job is charged in one storage transaction of at most 100 operations')
  .default([])
  .describe('Quotas per user and period; rules test them with { "quota": { "name", "state" } }.');

export type QuotaFile = z.infer<typeof quotaSchema>;

/** A parsed quota as the quota code uses it. */
export function toQuotaDefinition(quota: QuotaFile): QuotaDefinition {
  const { description: _description, ...definition } = quota;
  return definition;
}

const pluginQuotasSchema = z.strictObject({
  timeZone: z
    .string()
    .refine(isTimeZone, 'expected an IANA time zone such as Europe/London or America/New_York')
    .default('UTC'),
  definitions: quotasSchema,
});

/**
 * A code plug-in's `quotas` export ({ timeZone, definitions }), checked with the same schema as a
 * policy file's quotas; errors name the quota and the field.
 */
export function parseQuotas(value: unknown): { ok: true; quotas: PolicyQuotas } | { ok: false; errors: string[] } {
  const parsed = pluginQuotasSchema.safeParse(value, { reportInput: true });
  const names = (value as { definitions?: unknown } | undefined)?.definitions;
  const duplicates = quotaReferenceIssues({ quotas: names }).map(
    (issue) => `${issue.path.map(String).join('.')}: ${issue.message}`,
  );
  if (parsed.success && duplicates.length === 0)
    return {
      ok: true,
      quotas: { timeZone: parsed.data.timeZone, definitions: parsed.data.definitions.map(toQuotaDefinition) },
    };
  const errors = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const input = issue.input;
        const got = ['string', 'number', 'boolean'].includes(typeof input) ? `, got ${JSON.stringify(input)}` : '';
        return `${issue.path.map(String).join('.') || 'quotas'}: ${issue.message}${got}`;
      });
  return { ok: false, errors: [...errors, ...duplicates] };
}

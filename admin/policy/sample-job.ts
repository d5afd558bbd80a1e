import { z } from 'zod';
import { printJobSchema } from '../../src/graph/print-schemas';
import { buildPolicyContext } from '../../src/policy/policy-context';
import type { PolicyContext } from '../../src/policy/decision';
import { issuesText } from '../../src/config/zod-issues';
import { adminMessage, withValue } from '../../src/policy/declarative/policy-schema';
import { jobCost } from '../../src/quota/job-cost';
import { lazyQuotaLookup, type PolicyQuotas, type QuotaLookup } from '../../src/quota/standings';

/**
 * A job file for dry runs (the CLI's explain, the example tests): a printJob as Graph returns it
 * (`$expand=documents`), plus what the processor would look up: `printer`, the owner's `groups`,
 * and `now`. `expected` is the decision the job must get (checked by explain and the tests).
 */
export const sampleJobSchema = printJobSchema.extend({
  printerId: z.string().optional().describe('The printer the job was sent to (default: printer.id).'),
  printer: z
    .looseObject({
      id: z.string().optional(),
      displayName: z.string().optional(),
      location: z
        .looseObject({ site: z.string().optional(), building: z.string().optional(), floor: z.string().optional() })
        .optional(),
    })
    .optional(),
  groups: z.array(z.string()).optional().describe("Object ids of the owner's groups."),
  now: z.iso.datetime({ offset: true }).optional().describe('When the job is decided (default: now).'),
  used: z
    .record(z.string(), z.number().int().min(0))
    .optional()
    .describe('The owner\'s usage this period, by quota name (default 0), e.g. { "colour-pages": 200 }.'),
  expected: z.record(z.string(), z.unknown()).optional().describe('The decision the policy must make.'),
});
export type SampleJob = z.infer<typeof sampleJobSchema>;

const NO_PRINTER = '00000000-0000-0000-0000-000000000000';

/**
 * The policy context the processor would build for a sample job, with the printer and groups
 * from the file instead of Graph. A rule that needs what the file leaves out fails with a
 * message that says what to add.
 */
export function contextFromSampleJob(
  json: unknown,
  options: {
    now?: Date;
    /** The policy's quotas: usage comes from the job's `used` and then `used` here (the CLI's --used). */
    quotas?: PolicyQuotas;
    used?: Record<string, number>;
  } = {},
): { ok: true; job: SampleJob; context: PolicyContext } | { ok: false; errors: string[] } {
  // Worded as the policy's errors are: "documents.0.size: expected a number, got "big"".
  const parsed = sampleJobSchema.safeParse(json, { error: adminMessage, reportInput: true });
  if (!parsed.success)
    return {
      ok: false,
      errors: issuesText({ issues: parsed.error.issues.map(withValue) }, { whole: 'job' }),
    };
  const job = parsed.data;
  const printerId = job.printerId ?? job.printer?.id ?? NO_PRINTER;
  let quota: QuotaLookup | undefined;
  const context = buildPolicyContext({
    job,
    printerId,
    tenantId: 'dry-run',
    now: job.now ? new Date(job.now) : (options.now ?? new Date()),
    printers: {
      async getPrinter() {
        if (!job.printer)
          throw new Error('A rule needs the printer\'s name or location: add "printer": { "displayName", "location" }');
        return { id: printerId, displayName: job.printer.displayName, location: job.printer.location };
      },
    },
    async memberOf(_userId, groupIds) {
      if (!job.groups) throw new Error('A rule needs the owner\'s groups: add "groups": [ "<group object id>", … ]');
      return new Set(groupIds.filter((g) => job.groups!.some((mine) => mine.toLowerCase() === g.toLowerCase())));
    },
    ...(options.quotas ? { quota: (name: string) => quota!(name) } : {}),
  });
  const { quotas } = options;
  if (quotas) {
    const used = { ...job.used, ...options.used };
    quota = lazyQuotaLookup({
      quotas: () => quotas,
      now: context.now,
      owner: context.job.owner,
      memberOf: (groupIds) => context.memberOf(groupIds),
      cost: jobCost(context.job.configuration),
      read: async (periods) =>
        periods.map(({ quota: name, periodKey }) => ({
          userKey: 'dry-run',
          quota: name,
          periodKey,
          confirmed: used[name] ?? 0,
          reserved: 0,
          topUp: 0,
        })),
    });
  }
  return { ok: true, job, context };
}

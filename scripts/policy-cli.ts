/**
 * `npm run policy -- check <policy.json>`: validates a policy. Exit 0 when valid, 1 with errors.
 * `npm run policy -- explain <policy.json> <job.json>`: dry run of one job, printing the decision
 *   and the path through the rules. The job is a printJob as Graph returns it (with `documents`),
 *   optionally with `printer` ({ id, displayName, location }), `groups` (the owner's group ids) and
 *   `now` (ISO time). Exit 0 when a decision was made, 1 on invalid input.
 * `npm run policy -- schema`: writes policies/policy.schema.json from the policy schema.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { printJobSchema } from '../src/graph/print-schemas';
import { parsePolicy, policySchema, type PolicyFile } from '../src/policy/declarative/policy-schema';
import type { Evaluation } from '../src/policy/declarative/rule-engine';
import { declarativePolicy, loadPluginModule } from '../src/policy/load-policy';
import { buildPolicyContext } from '../src/processor/policy-context';

export const SCHEMA_FILE = path.resolve(__dirname, '..', 'policies', 'policy.schema.json');

export function policyJsonSchema(): string {
  const schema = z.toJSONSchema(policySchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'Release Gate release policy' }, null, 2)}\n`;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
}

class UsageError extends Error {}

export function checkPolicy(file: string): { ok: boolean; lines: string[]; policy?: PolicyFile } {
  const parsed = parsePolicy(readJson(file));
  if (!parsed.ok)
    return { ok: false, lines: [`${file} is not a valid policy:`, ...parsed.errors.map((e) => `  - ${e}`)] };
  const { policy } = parsed;
  return {
    ok: true,
    policy,
    lines: [
      `${file}: policy "${policy.name}" is valid: ${policy.rules.length} rule(s), time zone ${policy.timeZone}${policy.shadowMode ? ', shadow mode' : ''}.`,
    ],
  };
}

const jobInputSchema = printJobSchema.extend({
  printerId: z.string().optional(),
  printer: z
    .looseObject({
      id: z.string(),
      displayName: z.string().optional(),
      location: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  groups: z.array(z.string()).optional(),
  now: z.iso.datetime({ offset: true }).optional(),
});

export async function explainJob(
  policyFile: string,
  jobFile: string,
  pluginModule?: string,
): Promise<{ evaluation: Evaluation; lines: string[] }> {
  const checked = checkPolicy(policyFile);
  if (!checked.ok || !checked.policy) throw new UsageError(checked.lines.join('\n'));
  const input = jobInputSchema.safeParse(readJson(jobFile));
  if (!input.success)
    throw new UsageError(
      `${jobFile} is not a print job: ${input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const job = input.data;
  const printerId = job.printerId ?? job.printer?.id ?? '00000000-0000-0000-0000-000000000000';
  const context = buildPolicyContext({
    job,
    printerId,
    tenantId: 'explain',
    now: job.now ? new Date(job.now) : new Date(),
    api: {
      getPrinter: async () => ({
        id: printerId,
        displayName: job.printer?.displayName,
        location: job.printer?.location,
      }),
    },
    memberOf: async (_userId, groupIds) => new Set(groupIds.filter((g) => job.groups?.includes(g))),
  });
  const policy = declarativePolicy(checked.policy, {
    conditions: pluginModule ? loadPluginModule(path.resolve(pluginModule)).conditions : undefined,
    timeoutMs: 5000,
    failMode: 'fail-safe',
  });
  const evaluation = await policy.evaluate(context);
  const lines = [
    `Job ${job.id} by ${job.createdBy?.userPrincipalName ?? 'unknown user'} on printer ${job.printer?.displayName ?? printerId}:`,
  ];
  for (const step of evaluation.trace) {
    lines.push(
      `  ${step.matched ? '✔' : '✘'} rule "${step.rule}"${step.skipped ? ` (matched, but ${step.skipped})` : ''}`,
    );
    for (const c of step.conditions)
      lines.push(`      ${c.holds ? 'holds' : 'fails'}: ${c.condition}${c.detail ? ` (${c.detail})` : ''}`);
  }
  const d = evaluation.decision;
  lines.push(`Decision: ${d.action} by rule "${d.rule}"${d.reason ? `: ${d.reason}` : ''}`);
  if (d.action === 'release-with-changes') lines.push(`  changes: ${JSON.stringify(d.changes)}`);
  if (d.action === 'redirect')
    lines.push(`  to printer ${d.printerId}${d.configuration ? ` with ${JSON.stringify(d.configuration)}` : ''}`);
  if (d.action === 'hold') lines.push(`  for ${d.expiresInMinutes} minutes, then ${d.onExpiry}`);
  if (d.action === 'release' && d.shadowOf)
    lines.push(`  shadow mode: would have been ${d.shadowOf.action} by rule "${d.shadowOf.rule}"`);
  return { evaluation, lines };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const plugin = args.indexOf('--plugin') >= 0 ? args.splice(args.indexOf('--plugin'), 2)[1] : undefined;
  try {
    if (command === 'check' && args.length === 1) {
      const result = checkPolicy(args[0]!);
      (result.ok ? console.log : console.error)(result.lines.join('\n'));
      return result.ok ? 0 : 1;
    }
    if (command === 'explain' && args.length === 2) {
      console.log((await explainJob(args[0]!, args[1]!, plugin)).lines.join('\n'));
      return 0;
    }
    if (command === 'schema' && args.length === 0) {
      writeFileSync(SCHEMA_FILE, policyJsonSchema());
      console.log(`Wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
      return 0;
    }
    console.error(
      'usage: npm run policy -- check <policy.json>\n       npm run policy -- explain <policy.json> <job.json> [--plugin <module>]\n       npm run policy -- schema',
    );
    return 2;
  } catch (error) {
    console.error(error instanceof UsageError ? error.message : error);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}

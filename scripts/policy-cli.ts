/**
 * The release policy CLI (`npm run policy -- <command>`):
 *
 *   check <policy.json> [--plugin <module>]
 *       Validates a policy. Exit 0 when valid (warnings are printed, e.g. unreachable rules),
 *       1 with every error, each naming the rule, the field and what is expected.
 *   explain <policy.json> <job.json>... [--plugin <module>] [--json]
 *       Dry run of each job: the path through the rules and the decision. A job file is a printJob
 *       as Graph returns it (with `documents`), optionally with `printer` ({ id, displayName,
 *       location }), `groups` (the owner's group ids), `now` (ISO time) and `expected` (the
 *       decision it must get). Exit 0 when every job was decided (and matched its `expected`),
 *       1 on an invalid policy or job file, 3 when a decision differs from `expected`.
 *   schema [--check]
 *       Writes policies/policy.schema.json from the zod schema; with --check, exit 1 if it is stale.
 *
 * Exit 2: usage error. The CLI makes no Graph call: printer and groups come from the job file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { policySchema } from '../src/policy/declarative/policy-schema';
import { InputError, checkPolicy, pluginConditions, readJson } from '../admin/policy/check-policy';
import { declarativePolicy } from '../src/policy/load-policy';
import { contextFromSampleJob, type SampleJob } from '../admin/policy/sample-job';
import { describeEvaluation, type Evaluation } from '../src/policy/trace';

export const SCHEMA_FILE = path.resolve(__dirname, '..', 'policies', 'policy.schema.json');

export const EXIT = { ok: 0, invalid: 1, usage: 2, unexpected: 3 } as const;

/** The JSON Schema editors use, generated from the same zod schema the app validates with. */
export function policyJsonSchema(): string {
  const schema = z.toJSONSchema(policySchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'Release Gate release policy' }, null, 2)}\n`;
}

export interface Explanation {
  job: SampleJob;
  evaluation: Evaluation;
  /** Whether the decision matches the job file's `expected` (undefined when it has none). */
  asExpected?: boolean;
  lines: string[];
}

/** The decision's fields that `expected` names, compared as JSON (so partial expectations work). */
function matchesExpected(decision: object, expected: Record<string, unknown>): boolean {
  const actual = decision as Record<string, unknown>;
  return Object.entries(expected).every(([key, value]) => isDeepStrictEqual(actual[key], value));
}

export async function explainJob(policyFile: string, jobFile: string, pluginModule?: string): Promise<Explanation> {
  const checked = checkPolicy(policyFile, pluginModule);
  if (!checked.ok || !checked.policy) throw new InputError(checked.lines.join('\n'));
  const built = contextFromSampleJob(readJson(jobFile));
  if (!built.ok)
    throw new InputError(`${jobFile} is not a print job:\n${built.errors.map((e) => `  - ${e}`).join('\n')}`);
  const { job, context } = built;
  const policy = declarativePolicy(checked.policy, {
    conditions: pluginConditions(pluginModule),
    timeoutMs: 5000,
    failMode: 'fail-safe',
  });
  let evaluation: Evaluation;
  try {
    evaluation = await policy.evaluate(context);
  } catch (error) {
    throw new InputError(`${jobFile}: the policy could not decide: ${(error as Error).message}`);
  }
  const printer = job.printer?.displayName ?? context.job.printerId;
  const lines = [
    `Job ${job.id} by ${job.createdBy?.userPrincipalName ?? 'unknown user'} on printer ${printer} at ${context.now.toISOString()}:`,
    ...describeEvaluation(evaluation),
  ];
  const asExpected = job.expected ? matchesExpected(evaluation.decision, job.expected) : undefined;
  if (asExpected === false) lines.push(`NOT AS EXPECTED: the job file expects ${JSON.stringify(job.expected)}`);
  return { job, evaluation, asExpected, lines };
}

export async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  const flag = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? (args.splice(at, 1), true) : false;
  };
  const option = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args.splice(at, 2)[1] : undefined;
  };
  const plugin = option('--plugin');
  const json = flag('--json');
  const checkOnly = flag('--check');
  const [command, ...rest] = args;
  try {
    if (command === 'check' && rest.length === 1) {
      const result = checkPolicy(rest[0]!, plugin);
      (result.ok ? console.log : console.error)(result.lines.join('\n'));
      return result.ok ? EXIT.ok : EXIT.invalid;
    }
    if (command === 'explain' && rest.length >= 2) {
      const [policyFile, ...jobFiles] = rest;
      const explanations: Explanation[] = [];
      for (const jobFile of jobFiles) explanations.push(await explainJob(policyFile!, jobFile, plugin));
      if (json)
        console.log(
          JSON.stringify(
            explanations.map(({ job, evaluation, asExpected }) => ({ job: job.id, ...evaluation, asExpected })),
            null,
            2,
          ),
        );
      else console.log(explanations.map((e) => e.lines.join('\n')).join('\n\n'));
      return explanations.some((e) => e.asExpected === false) ? EXIT.unexpected : EXIT.ok;
    }
    if (command === 'schema' && rest.length === 0) {
      const schema = policyJsonSchema();
      const shown = path.relative(process.cwd(), SCHEMA_FILE);
      if (checkOnly) {
        const current = readFileSync(SCHEMA_FILE, 'utf8');
        if (current === schema) return EXIT.ok;
        console.error(`${shown} is stale: run npm run policy -- schema`);
        return EXIT.invalid;
      }
      writeFileSync(SCHEMA_FILE, schema);
      console.log(`Wrote ${shown}`);
      return EXIT.ok;
    }
    console.error(
      [
        'usage: npm run policy -- check <policy.json> [--plugin <module>]',
        '       npm run policy -- explain <policy.json> <job.json>... [--plugin <module>] [--json]',
        '       npm run policy -- schema [--check]',
      ].join('\n'),
    );
    return EXIT.usage;
  } catch (error) {
    console.error(error instanceof InputError ? error.message : error);
    return EXIT.invalid;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}

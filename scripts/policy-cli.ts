/**
 * The release policy CLI (`npm run policy -- <command>`); `--help` on it or on each command says the same:
 *
 *   check <policy.json> [--plugin <module>]
 *       Validates a policy. Exit 0 when valid (warnings are printed, e.g. unreachable rules),
 *       1 with every error, each naming the rule, the field, what is expected and the bad value.
 *   explain <policy.json> <job.json>... [--plugin <module>] [--used <quota>=<n>]... [--json]
 *       Dry run of each job: the path through the rules and the decision. A job file is a printJob
 *       as Graph returns it (with `documents`), optionally with `printer` ({ id, displayName,
 *       location }), `groups` (the owner's group ids), `now` (ISO time), `used` (the owner's usage
 *       per quota this period) and `expected` (the decision it must get). `--used` overrides `used`. Exit 0 when every job was decided (and matched its `expected`),
 *       1 on an invalid policy or job file, 3 when a decision differs from `expected`.
 *   replay <policy.json> [--from <date>] [--to <date>] [--file <x.jsonl> | --sandbox [--port N]]
 *          [--export <x.jsonl>] [--time-zone <zone>] [--sample N] [--plugin <module>] [--json]
 *       Replays the policy over the recorded decisions of a period, each as of its own time, and shows
 *       what would change. Exit 0 when nothing would, 3 when some decisions would change, 1 on an
 *       invalid policy or file (or no storage to read).
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
import { toQuotaDefinition } from '../src/policy/declarative/quota-schema';
import { describeEvaluation, type Evaluation } from '../src/policy/trace';
import {
  action,
  defineCommand,
  defineSubcommand,
  describeUse,
  ExitError,
  nearest,
  paint,
  runMain,
  UsageError,
  wholeNumber,
  type Terminal,
} from '../admin/cli/cli';
import { Option, type Command } from 'commander';
import { adminStorageSettings, adminTable } from '../admin/admin-storage';
import { auditRecordsIn, checkTimeZone, PeriodError, reportPeriod } from '../admin/decision-report';
import { readAuditJsonl, writeAuditJsonl } from '../admin/policy/audit-jsonl';
import { formatReplay, replay } from '../admin/policy/replay';
import type { AuditRecord } from '../src/audit/audit-log';

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

/** `--used colour-pages=200` (repeatable) into { "colour-pages": 200 }. */
export function parseUsed(values: readonly string[]): Record<string, number> {
  const used: Record<string, number> = {};
  for (const value of values) {
    const match = /^([A-Za-z0-9-]+)=(\d+)$/.exec(value.trim());
    if (!match) throw new UsageError(`--used "${value}" is not <quota>=<whole number>, e.g. --used colour-pages=200`);
    used[match[1]!] = Number(match[2]);
  }
  return used;
}

export async function explainJob(
  policyFile: string,
  jobFile: string,
  pluginModule?: string,
  used: Record<string, number> = {},
): Promise<Explanation> {
  const checked = checkPolicy(policyFile, pluginModule);
  if (!checked.ok || !checked.policy) throw new InputError(checked.lines.join('\n'));
  const declared = checked.policy.quotas.map((q) => q.name);
  for (const name of Object.keys(used))
    if (!declared.includes(name)) {
      const near = nearest(name, declared);
      throw new UsageError(
        `--used ${name}: the policy declares no quota "${name}"${near ? ` (did you mean ${near}?)` : ''}; it declares: ${declared.join(', ') || 'none'}`,
      );
    }
  const quotas = { definitions: checked.policy.quotas.map(toQuotaDefinition), timeZone: checked.policy.timeZone };
  const built = contextFromSampleJob(readJson(jobFile), { quotas, used });
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

const PLUGIN = [
  '--plugin <module>',
  'the policy plug-in module (JavaScript) whose named conditions the policy uses',
] as const;

/** An InputError (a file or flag the user can fix) exits 1 with its message alone. */
const invalid = (error: unknown): never => {
  if (error instanceof InputError) throw new ExitError(error.message, EXIT.invalid);
  throw error;
};

interface ReplayOptions {
  from?: string;
  to?: string;
  timeZone?: string;
  file?: string;
  sandbox?: boolean;
  port?: number;
  export?: string;
  sample: number;
  plugin?: string;
  json?: boolean;
}

/** The records of the period: from a JSON-lines file, the running sandbox's audit table, or the deployed one. */
async function recordsToReplay(
  options: ReplayOptions,
  period: { from: Date; to: Date },
  env: NodeJS.ProcessEnv,
): Promise<AuditRecord[]> {
  if (options.file) {
    const from = period.from.getTime();
    const to = period.to.getTime();
    return readAuditJsonl(options.file).filter((r) => Date.parse(r.decidedAt) >= from && Date.parse(r.decidedAt) <= to);
  }
  const config = adminStorageSettings(options, env, {
    what: 'the audit table',
    role: 'Storage Table Data Reader',
    setting: 'RELEASE_GATE_AUDIT_TABLE',
    script: 'policy -- replay <policy.json>',
    exitCode: EXIT.invalid,
  });
  const records: AuditRecord[] = [];
  for await (const record of auditRecordsIn(adminTable(config, config.RELEASE_GATE_AUDIT_TABLE), period))
    records.push(record);
  return records;
}

export function command(terminal: Terminal, env: NodeJS.ProcessEnv = process.env): Command {
  const program = defineCommand(
    'policy',
    'Check a release policy, dry-run print jobs against it, replay recorded decisions through it, and keep its ' +
      'JSON Schema current. No Graph call is made: printer and groups come from the job file or the audit record.',
    terminal,
  );
  describeUse(program, {
    examples: [
      'npm run policy -- check policies/examples/school/policy.json',
      'npm run policy -- explain policies/examples/school/policy.json policies/examples/school/jobs/*.json',
      'npm run policy -- replay policies/examples/school/stricter.json --file policies/examples/school/history.jsonl --from 2026-11-02 --to 2026-11-27',
      'npm run policy -- schema --check',
      'npm run policy -- explain --help',
    ],
    exitCodes: {
      [EXIT.invalid]: 'the policy or a job file is invalid (every error is listed), or the schema is stale',
      [EXIT.unexpected]:
        'explain: a decision differs from the job file\'s "expected"; replay: some recorded decisions would change',
    },
  });

  const check = defineSubcommand(
    program,
    'check',
    'Validate a policy: every error names the rule, the field, what is expected and the bad value; warnings for rules that never decide.',
    terminal,
  )
    .summary('validate a policy: every error at once, with the rule, the field and the bad value')
    .argument('<policy.json>', 'the policy file')
    .option(...PLUGIN)
    .action(
      action((file: string, options: { plugin?: string }) => {
        let result: ReturnType<typeof checkPolicy>;
        try {
          result = checkPolicy(file, options.plugin);
        } catch (error) {
          return invalid(error);
        }
        (result.ok ? terminal.out : terminal.err)(result.lines.join('\n'));
        return result.ok ? EXIT.ok : EXIT.invalid;
      }),
    );
  describeUse(check, {
    examples: [
      'npm run policy -- check policies/examples/school/policy.json',
      'npm run policy -- check policies/examples/office/policy.json',
    ],
    exitCodes: { [EXIT.invalid]: 'the policy is invalid, or not JSON (line and column are given)' },
  });

  const explain = defineSubcommand(
    program,
    'explain',
    'Dry-run print jobs: the path through the rules and the decision for each.',
    terminal,
  )
    .summary('dry-run print jobs: the path through the rules and the decision')
    .argument('<policy.json>', 'the policy file')
    .argument(
      '<job.json...>',
      'job files: a printJob as Graph returns it, optionally with printer, groups, now and expected',
    )
    .option(...PLUGIN)
    .option(
      '--used <quota=n>',
      'the owner\'s usage of a quota this period, e.g. colour-pages=200 (repeatable; overrides the job file\'s "used")',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--json', 'print the evaluations as JSON (for scripts)')
    .action(
      action(
        async (
          policyFile: string,
          jobFiles: string[],
          options: { plugin?: string; json?: boolean; used?: string[] },
        ) => {
          const used = parseUsed(options.used ?? []);
          const explanations: Explanation[] = [];
          try {
            for (const jobFile of jobFiles)
              explanations.push(await explainJob(policyFile, jobFile, options.plugin, used));
          } catch (error) {
            return invalid(error);
          }
          if (options.json)
            terminal.out(
              JSON.stringify(
                explanations.map(({ job, evaluation, asExpected }) => ({ job: job.id, ...evaluation, asExpected })),
                null,
                2,
              ),
            );
          else terminal.out(explanations.map((e) => e.lines.join('\n')).join('\n\n'));
          return explanations.some((e) => e.asExpected === false) ? EXIT.unexpected : EXIT.ok;
        },
      ),
    );
  describeUse(explain, {
    examples: [
      'npm run policy -- explain policies/examples/school/policy.json policies/examples/school/jobs/*.json',
      'npm run policy -- explain policies/examples/school/policy.json policies/examples/school/jobs/student-colour.json --json',
      'npm run policy -- explain policies/examples/school/quotas.json policies/examples/school/quota-jobs/student-colour.json --used colour-pages=200',
    ],
    exitCodes: {
      [EXIT.invalid]: 'the policy or a job file is invalid, or the policy could not decide',
      [EXIT.unexpected]: 'a decision differs from the job file\'s "expected"',
    },
    notes: [
      'A job file may add to the printJob: "printer" ({ id, displayName, location }), "groups" (the owner\'s',
      'group ids), "now" (an ISO time), "used" (the owner\'s usage per quota this period, default 0) and',
      '"expected" (the decision fields it must get).',
    ],
  });

  const replayCommand = defineSubcommand(
    program,
    'replay',
    'Replay a policy over the recorded decisions of a period, each as of its own time (time windows evaluate at ' +
      'the moment the job was decided), and show what would change: by rule, action, user, printer and hour, with ' +
      "sample jobs. Reads the audit table (as npm run report does), the running sandbox's, or an exported file.",
    terminal,
  )
    .summary('replay a policy over recorded decisions and show what would change')
    .argument('<policy.json>', 'the candidate policy file')
    .option('--from <date>', 'first day replayed, e.g. 2026-11-01; default: 7 days before --to')
    .option('--to <date>', 'last day replayed, included whole, e.g. 2026-11-30; default: now')
    .option(
      '--time-zone <zone>',
      "the days of --from and --to, and the hours of the table, in this IANA time zone (default: the policy's)",
    )
    .option('--file <records.jsonl>', 'replay the records of this file (one audit record a line, as --export writes)')
    .option('--sandbox', "read the running sandbox's audit table (npm run sandbox)")
    .addOption(
      new Option('--port <n>', 'with --sandbox: the sandbox on this Functions host port, when several run').argParser(
        wholeNumber(1, 65535),
      ),
    )
    .option('--export <records.jsonl>', "also write the period's records to this file, to replay offline")
    .addOption(new Option('--sample <n>', 'sample jobs shown per change').argParser(wholeNumber(0, 1000)).default(3))
    .option(...PLUGIN)
    .option('--json', 'print the result as JSON (for tools)')
    .action(
      action(async (policyFile: string, options: ReplayOptions) => {
        if (options.port !== undefined && !options.sandbox) throw new UsageError('--port goes with --sandbox.');
        if (options.file && options.sandbox) throw new UsageError('--file and --sandbox: give one source of records.');
        let policy;
        let timeZone: string;
        try {
          const checked = checkPolicy(policyFile, options.plugin);
          if (!checked.ok || !checked.policy) throw new InputError(checked.lines.join('\n'));
          policy = declarativePolicy(checked.policy, {
            conditions: pluginConditions(options.plugin),
            timeoutMs: 5000,
            failMode: 'fail-safe',
          });
          timeZone = options.timeZone ?? checked.policy.timeZone;
        } catch (error) {
          return invalid(error);
        }
        let period;
        try {
          checkTimeZone(timeZone);
          period = reportPeriod({ from: options.from, to: options.to, timeZone });
        } catch (error) {
          if (error instanceof PeriodError) throw new UsageError(error.message);
          throw error;
        }
        let records: AuditRecord[];
        try {
          records = await recordsToReplay(options, period, env);
        } catch (error) {
          return invalid(error);
        }
        if (options.export) {
          writeAuditJsonl(options.export, records);
          (options.json ? terminal.err : terminal.out)(`Wrote ${records.length} record(s) to ${options.export}`);
        }
        const result = await replay(policy, records, { timeZone, sample: options.sample });
        terminal.out(
          options.json
            ? JSON.stringify({ period: period.label, from: period.from, to: period.to, ...result }, null, 2)
            : formatReplay(result, period.label, paint(terminal.color.out).bold),
        );
        return result.changed > 0 ? EXIT.unexpected : EXIT.ok;
      }),
    );
  describeUse(replayCommand, {
    examples: [
      'npm run policy -- replay policies/examples/school/stricter.json --file policies/examples/school/history.jsonl --from 2026-11-02 --to 2026-11-27',
      'npm run policy -- replay policies/examples/school/stricter.json --sandbox --from 2026-12-01 --to 2026-12-02 --json',
      'npm run policy -- replay policy.json --from 2026-11-01 --to 2026-11-30 --export november.jsonl',
    ],
    exitCodes: {
      [EXIT.ok]: 'no replayed decision would change',
      [EXIT.invalid]: 'the policy or the records file is invalid, or there is no audit table to read',
      [EXIT.unexpected]: 'some replayed decisions would change',
    },
    notes: [
      'Jobs that are not replayable are counted with the reason, never guessed, and do not change the exit code.',
      'A job is not replayable when the policy needs a look-up that was not made when it was decided (a group',
      'never checked, a printer never read), or when its record predates recorded contexts.',
      'Without --file or --sandbox the storage comes from AzureWebJobsStorage or AzureWebJobsStorage__tableServiceUri,',
      'and RELEASE_GATE_AUDIT_TABLE (default releasegateaudit), as npm run report reads it.',
    ],
  });

  const schema = defineSubcommand(
    program,
    'schema',
    'Write policies/policy.schema.json (the JSON Schema editors use) from the schema the app validates with.',
    terminal,
  )
    .summary('write policies/policy.schema.json, or --check that it is current')
    .option('--check', 'write nothing; exit 1 when the file is stale')
    .action(
      action((options: { check?: boolean }) => {
        const text = policyJsonSchema();
        const shown = path.relative(process.cwd(), SCHEMA_FILE);
        if (options.check) {
          if (readFileSync(SCHEMA_FILE, 'utf8') === text) {
            terminal.out(`${shown} is current.`);
            return EXIT.ok;
          }
          terminal.err(`${shown} is stale: run npm run policy -- schema`);
          return EXIT.invalid;
        }
        writeFileSync(SCHEMA_FILE, text);
        terminal.out(`Wrote ${shown}`);
        return EXIT.ok;
      }),
    );
  describeUse(schema, {
    examples: ['npm run policy -- schema', 'npm run policy -- schema --check'],
    exitCodes: { [EXIT.invalid]: '--check: the file is stale' },
  });
  return program;
}

if (require.main === module) runMain((terminal) => command(terminal));

/**
 * `npm run quota -- list|top-up|reset|audit`: print quota usage per user, quota and period, grant a one-off
 * top-up, reset a period, and show those admin actions. Uses the running sandbox's storage with --sandbox, else
 * the deployed app's (AzureWebJobsStorage or AzureWebJobsStorage__tableServiceUri, RELEASE_GATE_QUOTA_TABLE),
 * like `npm run report`. Every top-up and reset is recorded (who, when, why) before it is made.
 */
import os from 'node:os';
import { createInterface } from 'node:readline/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { QUOTA_NAME_PATTERN } from '../src/policy/declarative/quota-schema';
import {
  EXIT,
  ExitError,
  UsageError,
  action,
  defineCommand,
  defineSubcommand,
  describeUse,
  nearest,
  runMain,
  wholeNumber,
  type Terminal,
} from '../admin/cli/cli';
import { PeriodError, reportPeriod } from '../admin/decision-report';
import { formatAdminActions, formatUserUsage, userUsage } from '../admin/quota-usage';
import type { UsageCounter, UsageStore } from '../src/quota/quota-model';
import { tableUsageStore } from '../src/quota/table-usage-store';
import { isGuid } from '../src/graph/ids';
import { adminStorageSettings, adminTable, EXIT_NOT_CONFIGURED } from '../admin/admin-storage';

/** A period key as the processor writes it (periods.ts): a top-up or reset under any other key would count nothing. */
const PERIOD_KEY =
  /^(\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?|\d{4}-W(0[1-9]|[1-4]\d|5[0-3])|term:[a-z0-9]+(-[a-z0-9]+)*)$/;

function periodKey(text: string): string {
  if (!PERIOD_KEY.test(text))
    throw new InvalidArgumentError(
      `"${text}" is not a period key: a day 2026-12-02, an ISO week 2026-W49, a month 2026-12, or term:<name> as listed by "npm run quota -- list" (e.g. term:autumn-2026).`,
    );
  return text;
}

function quotaName(text: string): string {
  if (!QUOTA_NAME_PATTERN.test(text))
    throw new InvalidArgumentError(`"${text}" is not a quota name: letters, digits and dashes, like colour-pages.`);
  return text;
}

/** Exit code when --user, --quota or --period names nothing the quota table knows. */
export const EXIT_UNKNOWN = 4;

interface Where {
  sandbox?: boolean;
  port?: number;
}

export interface QuotaCommandDependencies {
  /** The store to use; default: the quota table of the sandbox or the deployed app. */
  store?: (where: Where) => UsageStore;
  /** Asks a yes/no question; undefined when there is no one to ask (stdin is not a terminal). */
  ask?: (question: string) => Promise<boolean> | undefined;
  now?: () => Date;
}

/**
 * A yes/no question on the terminal, or undefined when stdin or the command's output is not one (CI, a script,
 * a test running the command in-process): never wait for input that cannot come.
 */
function askOnTerminal(terminal: Terminal, question: string): Promise<boolean> | undefined {
  if (!process.stdin.isTTY || !terminal.interactive) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return rl
    .question(`${question} [y/N] `)
    .then((answer) => /^y(es)?$/i.test(answer.trim()))
    .finally(() => rl.close());
}

const defaultWho = () => `${os.userInfo().username}@${os.hostname()}`;

export function command(
  terminal: Terminal,
  env: NodeJS.ProcessEnv = process.env,
  deps: QuotaCommandDependencies = {},
): Command {
  const openStore =
    deps.store ??
    ((where: Where) => {
      if (where.port !== undefined && !where.sandbox) throw new UsageError('--port goes with --sandbox.');
      const config = adminStorageSettings(where, env, {
        what: 'the quota table',
        role: 'Storage Table Data Contributor',
        setting: 'RELEASE_GATE_QUOTA_TABLE',
        script: 'quota',
      });
      return tableUsageStore(adminTable(config, config.RELEASE_GATE_QUOTA_TABLE));
    });
  const ask = deps.ask ?? ((question: string) => askOnTerminal(terminal, question));
  const now = deps.now ?? (() => new Date());

  const program = defineCommand(
    'quota',
    'Print quota usage, grant a one-off top-up, reset a period, and show who did which (the admin audit).',
    terminal,
  );
  describeUse(program, {
    notes: [
      'Without --sandbox the storage comes from AzureWebJobsStorage or AzureWebJobsStorage__tableServiceUri, and',
      'RELEASE_GATE_QUOTA_TABLE (default releasegatequotas). top-up and reset record --by (default <os user>@<host>).',
    ],
    examples: [
      'npm run quota -- list --sandbox',
      'npm run quota -- top-up --sandbox --user ana@school.example --quota colour-pages --period 2026-12 --amount 20 --reason "exam prints"',
      'npm run quota -- list --help',
    ],
    exitCodes: {
      [EXIT_NOT_CONFIGURED]: 'no storage configured, or no sandbox running (the message says which settings)',
      [EXIT_UNKNOWN]: 'the quota table knows no such user, or no usage of that quota and period (the nearest is named)',
    },
  });

  /** --sandbox and --port, on every subcommand. */
  const withStorage = (sub: Command) =>
    sub
      .option('--sandbox', "use the running sandbox's quota table (npm run sandbox)")
      .addOption(
        new Option('--port <n>', 'with --sandbox: the sandbox on this Functions host port, when several run').argParser(
          wholeNumber(1, 65535),
        ),
      );
  const common = {
    [EXIT_NOT_CONFIGURED]: 'no storage configured, or no sandbox running',
  };

  /** The user key for --user: an object id as it is; a UPN as the counters know it (case-insensitive). */
  async function userKeyFor(store: UsageStore, user: string): Promise<{ userKey: string; upn?: string }> {
    if (isGuid(user)) {
      const key = user.toLowerCase();
      const known = (await store.list({ userKey: key }))[0];
      return { userKey: key, ...(known?.userPrincipalName ? { upn: known.userPrincipalName } : {}) };
    }
    const counters = await store.list();
    const wanted = user.toLowerCase();
    const found = counters.find((c) => c.userPrincipalName?.toLowerCase() === wanted || c.userKey === `upn:${wanted}`);
    if (found) return { userKey: found.userKey, upn: found.userPrincipalName ?? user };
    const upns = [...new Set(counters.map((c) => c.userPrincipalName).filter((u): u is string => Boolean(u)))];
    const near = nearest(user, upns);
    throw new ExitError(
      `--user "${user}": no quota usage is recorded for that user principal name.` +
        (near ? ` Did you mean ${near}?` : '') +
        " To top up someone with no usage yet, give their object id (Entra ID → Users → the user's Object ID).",
      EXIT_UNKNOWN,
    );
  }

  const list = withStorage(defineSubcommand(program, 'list', 'Usage per user, quota and period.', terminal))
    .option('--user <upn|id>', 'one user: their user principal name or object id')
    .option('--quota <name>', 'one quota, as the policy names it')
    .option('--period <key>', 'one period: 2026-12-02 (day), 2026-W49 (week), 2026-12 (month), term:<name>')
    .option('--json', 'print the counters as JSON')
    .action(
      action(async (options: Where & { user?: string; quota?: string; period?: string; json?: boolean }) => {
        const store = openStore(options);
        const userKey = options.user ? (await userKeyFor(store, options.user)).userKey : undefined;
        const counters = await store.list({
          ...(userKey ? { userKey } : {}),
          ...(options.quota ? { quota: options.quota } : {}),
          ...(options.period ? { periodKey: options.period } : {}),
        });
        if (options.json) terminal.out(JSON.stringify(counters, null, 2));
        else if (counters.length === 0) terminal.out('No quota usage recorded' + describeFilter(options) + '.');
        else terminal.out(formatUserUsage(counters.map(userUsage)));
        return EXIT.ok;
      }),
    );
  describeUse(list, {
    notes: ["used: jobs that printed; reserved: jobs decided but not yet printed; limit: the quota's, before top-ups."],
    examples: [
      'npm run quota -- list --sandbox',
      'npm run quota -- list --sandbox --quota colour-pages --period 2026-12',
      'npm run quota -- list --user ana@school.example --json',
    ],
    exitCodes: { ...common, [EXIT_UNKNOWN]: '--user names no one with recorded usage (the nearest is named)' },
  });

  const topUp = withStorage(
    defineSubcommand(program, 'top-up', 'Grant one user a one-off allowance for one quota period.', terminal),
  )
    .requiredOption('--user <upn|id>', 'the user: their user principal name (as recorded) or object id')
    .requiredOption('--quota <name>', 'the quota, as the policy names it', quotaName)
    .requiredOption('--period <key>', 'the period: 2026-12-02, 2026-W49, 2026-12 or term:<name>', periodKey)
    .addOption(
      new Option('--amount <n>', 'how much to add to the limit').argParser(wholeNumber(1)).makeOptionMandatory(),
    )
    .requiredOption('--reason <text>', 'why (kept in the admin audit)')
    .option('--by <who>', 'who grants it, for the audit (default: <os user>@<host>)')
    .action(
      action(
        async (
          options: Where & { user: string; quota: string; period: string; amount: number; reason: string; by?: string },
        ) => {
          const store = openStore(options);
          const { userKey, upn } = await userKeyFor(store, options.user);
          if ((await store.list({ quota: options.quota })).length === 0)
            terminal.err(`Note: no usage of quota "${options.quota}" is recorded yet; check it is the policy's name.`);
          const counter = await store.topUp(userKey, options.quota, options.period, options.amount, {
            at: now().toISOString(),
            who: options.by ?? defaultWho(),
            action: 'top-up',
            userKey,
            ...(upn ? { userPrincipalName: upn } : {}),
            quota: options.quota,
            periodKey: options.period,
            amount: options.amount,
            reason: options.reason,
          });
          terminal.out(
            `Topped up ${upn ?? userKey} by ${options.amount} for ${options.quota} ${options.period}: ` +
              `top-up now ${counter.topUp}, used ${counter.confirmed}, reserved ${counter.reserved}` +
              (counter.limit !== undefined ? `, limit ${counter.limit} + ${counter.topUp}.` : '.'),
          );
          return EXIT.ok;
        },
      ),
    );
  describeUse(topUp, {
    examples: [
      'npm run quota -- top-up --sandbox --user ana@school.example --quota colour-pages --period 2026-12 --amount 20 --reason "exam prints"',
      'npm run quota -- top-up --user 0b7c3f0e-1d2a-4b5c-8d9e-0f1a2b3c4d5e --quota jobs --period term:autumn-2026 --amount 5 --reason "project week" --by it@school.example',
    ],
    exitCodes: { ...common, [EXIT_UNKNOWN]: '--user names no one with recorded usage (the nearest is named)' },
  });

  const reset = withStorage(
    defineSubcommand(
      program,
      'reset',
      "Set a quota period's used amount and top-ups back to zero, for one user or every user.",
      terminal,
    ),
  )
    .requiredOption('--quota <name>', 'the quota, as the policy names it', quotaName)
    .requiredOption('--period <key>', 'the period: 2026-12-02, 2026-W49, 2026-12 or term:<name>', periodKey)
    .option('--user <upn|id>', 'only this user (default: every user, which needs --yes)')
    .requiredOption('--reason <text>', 'why (kept in the admin audit)')
    .option('--yes', 'reset every user without asking')
    .option('--by <who>', 'who resets, for the audit (default: <os user>@<host>)')
    .action(
      action(
        async (
          options: Where & { quota: string; period: string; user?: string; reason: string; yes?: boolean; by?: string },
        ) => {
          const store = openStore(options);
          const user = options.user ? await userKeyFor(store, options.user) : undefined;
          const filter = {
            quota: options.quota,
            periodKey: options.period,
            ...(user ? { userKey: user.userKey } : {}),
          };
          const counters = await store.list(filter);
          if (counters.length === 0) throw new ExitError(nothingToReset(options, await store.list()), EXIT_UNKNOWN);
          if (!user && !options.yes) {
            const question = `Reset ${options.quota} ${options.period} for all ${counters.length} user(s)?`;
            const answer = ask(question);
            if (!answer)
              throw new UsageError(
                `resetting every user's ${options.quota} ${options.period} needs --yes (stdin is not a terminal, so no one can be asked).`,
              );
            if (!(await answer)) {
              terminal.err('Nothing reset.');
              return EXIT.failed;
            }
          }
          const count = await store.reset(filter, {
            at: now().toISOString(),
            who: options.by ?? defaultWho(),
            action: 'reset',
            ...(user ? { userKey: user.userKey } : {}),
            ...(user?.upn ? { userPrincipalName: user.upn } : {}),
            quota: options.quota,
            periodKey: options.period,
            reason: options.reason,
          });
          terminal.out(
            `Reset ${options.quota} ${options.period} for ${user ? (user.upn ?? user.userKey) : `${count} user(s)`}: ` +
              'used and top-ups are 0; reservations of jobs not yet printed stay.',
          );
          return EXIT.ok;
        },
      ),
    );
  describeUse(reset, {
    notes: ['Without --user every user is reset: that needs --yes, or a "y" at the prompt on a terminal.'],
    examples: [
      'npm run quota -- reset --sandbox --quota colour-pages --period 2026-12 --user ana@school.example --reason "printer fault"',
      'npm run quota -- reset --sandbox --quota colour-pages --period 2026-12 --reason "new term" --yes',
    ],
    exitCodes: {
      ...common,
      [EXIT_UNKNOWN]: 'no usage of that user, quota and period is recorded (the nearest is named)',
    },
  });

  const audit = withStorage(defineSubcommand(program, 'audit', 'Top-ups and resets, newest first.', terminal))
    .option('--from <date>', 'first day, e.g. 2026-11-01 (UTC); default: the first action')
    .option('--to <date>', 'last day, included whole, e.g. 2026-11-30; default: now')
    .option('--json', 'print the actions as JSON')
    .action(
      action(async (options: Where & { from?: string; to?: string; json?: boolean }) => {
        let window: { from?: string; to?: string } = {};
        if (options.from !== undefined || options.to !== undefined)
          try {
            const period = reportPeriod({ from: options.from ?? '1970-01-01', to: options.to }, now());
            window = { from: period.from.toISOString(), to: period.to.toISOString() };
          } catch (error) {
            if (error instanceof PeriodError) throw new UsageError(error.message);
            throw error;
          }
        const actions = await openStore(options).adminActions(window);
        if (options.json) terminal.out(JSON.stringify(actions, null, 2));
        else if (actions.length === 0) terminal.out('No top-ups or resets recorded.');
        else terminal.out(formatAdminActions(actions));
        return EXIT.ok;
      }),
    );
  describeUse(audit, {
    examples: ['npm run quota -- audit --sandbox', 'npm run quota -- audit --from 2026-11-01 --to 2026-11-30 --json'],
    exitCodes: common,
  });

  return program;
}

function describeFilter(options: { user?: string; quota?: string; period?: string }): string {
  const parts = [
    options.user && `for ${options.user}`,
    options.quota && `of quota ${options.quota}`,
    options.period && `in period ${options.period}`,
  ].filter(Boolean);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/** Why nothing matched, naming the nearest quota or period the table does know. */
function nothingToReset(options: { quota: string; period: string; user?: string }, all: UsageCounter[]): string {
  const quotas = [...new Set(all.map((c) => c.quota))];
  const periods = [...new Set(all.filter((c) => c.quota === options.quota).map((c) => c.periodKey))];
  const hint = !quotas.includes(options.quota)
    ? suggestion('quota', options.quota, quotas)
    : suggestion('period', options.period, periods);
  return `No usage of quota ${options.quota} in period ${options.period}${options.user ? ` for ${options.user}` : ''} is recorded, so there is nothing to reset.${hint}`;
}

function suggestion(what: string, value: string, known: string[]): string {
  const near = nearest(value, known);
  if (near) return ` Did you mean ${what} ${near}?`;
  return known.length ? ` Recorded ${what}s: ${known.sort().join(', ')}.` : '';
}

if (require.main === module) runMain((terminal) => command(terminal));

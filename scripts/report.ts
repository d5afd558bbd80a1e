/**
 * `npm run report -- [--sandbox [--port N]] [--from <date>] [--to <date>] [--time-zone <zone>] [--json]`:
 * decisions by rule, action, outcome, printer and user from the audit table. Reads the app's storage settings
 * (AzureWebJobsStorage or AzureWebJobsStorage__tableServiceUri, RELEASE_GATE_AUDIT_TABLE) from the environment,
 * or the running sandbox's with --sandbox. Dates are whole days, both included; the default is the last 7 days.
 */
import { Option, type Command } from 'commander';
import {
  EXIT,
  UsageError,
  action,
  defineCommand,
  describeUse,
  paint,
  runMain,
  wholeNumber,
  type Terminal,
} from '../admin/cli/cli';
import {
  decisionReport,
  PeriodError,
  reportPeriod,
  type DecisionReport,
  type PrinterNames,
} from '../admin/decision-report';
import { createGraphClient } from '../src/graph/graph-client';
import { CLOUDS } from '../src/graph/graph-endpoints';
import { classifyGraphError } from '../src/graph/graph-errors';
import { PrintApi } from '../src/graph/print-api';
import { formatQuotaUsage, quotaUsage, type QuotaUsage } from '../admin/quota-usage';
import { tableUsageStore } from '../src/quota/table-usage-store';
import { readRunning, readSandboxSettings } from '../sandbox/state-file';
import { adminStorageSettings, adminTable, EXIT_NOT_CONFIGURED } from '../admin/admin-storage';

export { EXIT_NOT_CONFIGURED };

function table(title: string, counts: Record<string, number>): string {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const width = Math.max(title.length, ...rows.map(([k]) => k.length));
  return [
    `${title.padEnd(width)}  count`,
    `${'-'.repeat(width)}  -----`,
    ...rows.map(([k, n]) => `${k.padEnd(width)}  ${n}`),
  ].join('\n');
}

/** The decisions, then the quota usage (absent when no usage was ever counted). */
export function formatReport(
  report: DecisionReport & { quotaUsage?: QuotaUsage },
  bold: (text: string) => string = (t) => t,
): string {
  const quotas = report.quotaUsage ? [formatQuotaUsage(report.quotaUsage, bold)] : [];
  if (report.total === 0) return [`No decisions from ${report.period}.`, ...quotas].join('\n\n');
  return [
    ...(report.notes ?? []),
    bold(`Decisions from ${report.period}: ${report.total}`),
    table('rule', report.byRule),
    table('action', report.byAction),
    table('outcome', report.byOutcome),
    table('printer', report.byPrinter),
    table('user', report.byUser),
    ...quotas,
  ].join('\n\n');
}

/**
 * Names for printers whose records carry none (decided without reading the printer, e.g. a redirect), from
 * the sandbox's Graph as its app (the credentials in its settings). Only for the sandbox: in a tenant the
 * report has no Graph sign-in, and records name the printers the processor read.
 */
function sandboxPrinterNames(settings: Record<string, string>): PrinterNames {
  return async (ids) => {
    const { ClientSecretCredential } = await import('@azure/identity');
    const authorityHost = settings.RELEASE_GATE_AUTHORITY_HOST!;
    const api = new PrintApi(
      createGraphClient(
        new ClientSecretCredential(
          settings.RELEASE_GATE_TENANT_ID!,
          settings.RELEASE_GATE_APP_CLIENT_ID!,
          settings.RELEASE_GATE_APP_SECRET!,
          { authorityHost, disableInstanceDiscovery: true },
        ),
        {
          baseUrl: settings.RELEASE_GATE_GRAPH_BASE_URL!,
          version: 'v1.0',
          scope: `${CLOUDS.global.graph}/.default`,
          authorityHost,
          customAuthority: true,
        },
      ),
    );
    const names: Record<string, string> = {};
    for (const id of ids) {
      const printer = await api.getPrinter(id).catch((error: unknown) => {
        if (classifyGraphError(error).kind === 'not-found') return undefined; // deleted since
        throw error;
      });
      if (printer?.displayName) names[id] = printer.displayName;
    }
    return names;
  };
}

interface ReportOptions {
  sandbox?: boolean;
  port?: number;
  from?: string;
  to?: string;
  timeZone?: string;
  json?: boolean;
}

export function command(terminal: Terminal, env: NodeJS.ProcessEnv = process.env): Command {
  const report = defineCommand(
    'report',
    'Decisions by rule, action, outcome, printer and user, from the audit table; quota usage by user and group.',
    terminal,
  )
    .option('--sandbox', "read the running sandbox's audit table (npm run sandbox)")
    .addOption(
      new Option('--port <n>', 'with --sandbox: the sandbox on this Functions host port, when several run').argParser(
        wholeNumber(1, 65535),
      ),
    )
    .option(
      '--from <date>',
      'first day counted, e.g. 2026-11-01 (or a time with its offset); default: 7 days before --to',
    )
    .option('--to <date>', 'last day counted, included whole, e.g. 2026-11-30; default: now')
    .option('--time-zone <zone>', 'the days of --from and --to in this IANA time zone, e.g. Europe/Berlin', 'UTC')
    .option('--json', 'print the counts as JSON');
  describeUse(report, {
    notes: [
      'Dates are whole days in UTC (or --time-zone), both included: --to 2026-11-30 counts all of the 30th.',
      'Without --sandbox the storage comes from AzureWebJobsStorage or AzureWebJobsStorage__tableServiceUri, and',
      'RELEASE_GATE_AUDIT_TABLE (default releasegateaudit). Printers are named as they were when decided.',
      'Quota usage (RELEASE_GATE_QUOTA_TABLE) is every period recorded, by user and by group; none, nothing shown.',
    ],
    examples: [
      'npm run report -- --sandbox',
      'npm run report -- --sandbox --from 2026-11-01 --to 2026-11-30',
      'npm run report -- --from 2026-11-01 --to 2026-11-30 --time-zone Europe/Berlin --json',
    ],
    exitCodes: {
      [EXIT_NOT_CONFIGURED]: 'no storage configured, or no sandbox running (the message says which settings)',
    },
  });
  return report.action(
    action(async (options: ReportOptions) => {
      if (options.port !== undefined && !options.sandbox) throw new UsageError('--port goes with --sandbox.');
      let period;
      try {
        period = reportPeriod(options);
      } catch (error) {
        if (error instanceof PeriodError) throw new UsageError(error.message);
        throw error;
      }
      const config = adminStorageSettings(options, env, {
        what: 'the audit table',
        role: 'Storage Table Data Reader',
        setting: 'RELEASE_GATE_AUDIT_TABLE',
        script: 'report',
      });
      const client = adminTable(config, config.RELEASE_GATE_AUDIT_TABLE);
      const decisions = await decisionReport(
        client,
        period,
        options.sandbox ? sandboxPrinterNames(readSandboxSettings(readRunning(options.port, env))) : undefined,
      );
      const usage = await quotaUsage(tableUsageStore(adminTable(config, config.RELEASE_GATE_QUOTA_TABLE)));
      const result = usage ? { ...decisions, quotaUsage: usage } : decisions;
      terminal.out(
        options.json ? JSON.stringify(result, null, 2) : formatReport(result, paint(terminal.color.out).bold),
      );
      return EXIT.ok;
    }),
  );
}

if (require.main === module) runMain((terminal) => command(terminal));

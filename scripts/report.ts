/**
 * `npm run report -- [--from <ISO date>] [--to <ISO date>] [--json]`: decisions by rule, action,
 * outcome, printer and user from the audit table. Reads the same settings as the app
 * (AzureWebJobsStorage or the identity-based table URI, RELEASE_GATE_AUDIT_TABLE); defaults to the last 7 days.
 */
import { parseArgs } from 'node:util';
import { decisionReport, type DecisionReport } from '../admin/decision-report';
import { createTableClient } from '../src/storage/storage-clients';
import { settingsObject } from '../src/config/settings';

function table(title: string, counts: Record<string, number>): string {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const width = Math.max(title.length, ...rows.map(([k]) => k.length));
  return [
    `${title.padEnd(width)}  count`,
    `${'-'.repeat(width)}  -----`,
    ...rows.map(([k, n]) => `${k.padEnd(width)}  ${n}`),
  ].join('\n');
}

export function formatReport(report: DecisionReport): string {
  return [
    `Decisions from ${report.from} to ${report.to}: ${report.total}`,
    table('rule', report.byRule),
    table('action', report.byAction),
    table('outcome', report.byOutcome),
    table('printer', report.byPrinter),
    table('user', report.byUser),
  ].join('\n\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } },
  });
  const to = values.to ? new Date(values.to) : new Date();
  const from = values.from ? new Date(values.from) : new Date(to.getTime() - 7 * 86_400_000);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
    throw new Error('--from and --to take ISO dates, e.g. 2026-11-01');
  // Only the storage settings matter here; the rest of the app's settings need not be present.
  const storage = settingsObject.pick({
    AzureWebJobsStorage: true,
    AzureWebJobsStorage__tableServiceUri: true,
    AzureWebJobsStorage__clientId: true,
    RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID: true,
    RELEASE_GATE_AUDIT_TABLE: true,
  });
  const config = storage.parse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v)));
  const client = createTableClient(config, config.RELEASE_GATE_AUDIT_TABLE);
  const report = await decisionReport(client, from, to);
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

import { odata, type TableClient } from '@azure/data-tables';
import type { AuditRecord } from '../src/audit/audit-log';

export interface DecisionReport {
  from: string;
  to: string;
  total: number;
  byRule: Record<string, number>;
  byAction: Record<string, number>;
  byOutcome: Record<string, number>;
  byPrinter: Record<string, number>;
  byUser: Record<string, number>;
}

const days = (from: Date, to: Date) => {
  const out: string[] = [];
  for (
    let d = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
    d <= to.getTime();
    d += 86_400_000
  ) {
    out.push(new Date(d).toISOString().slice(0, 10));
  }
  return out;
};

const bump = (counts: Record<string, number>, key: string | undefined) => {
  const k = key || '(unknown)';
  counts[k] = (counts[k] ?? 0) + 1;
};

/**
 * Reads the audit table (one partition per day) and counts decisions between two times. Pending
 * records (decided, not yet acted on) are counted under their outcome like the rest.
 */
export async function decisionReport(table: TableClient, from: Date, to: Date): Promise<DecisionReport> {
  const report: DecisionReport = {
    from: from.toISOString(),
    to: to.toISOString(),
    total: 0,
    byRule: {},
    byAction: {},
    byOutcome: {},
    byPrinter: {},
    byUser: {},
  };
  for (const day of days(from, to)) {
    const entities = table.listEntities<{ record: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${day}` },
    });
    for await (const entity of entities) {
      const record = JSON.parse(entity.record) as AuditRecord;
      const decidedAt = Date.parse(record.decidedAt);
      if (decidedAt < from.getTime() || decidedAt > to.getTime()) continue;
      report.total++;
      bump(report.byRule, record.rule);
      bump(report.byAction, record.action);
      bump(report.byOutcome, record.outcome);
      bump(report.byPrinter, record.printerId);
      bump(report.byUser, record.userPrincipalName);
    }
  }
  return report;
}

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { tableAuditLog, type AuditRecord } from '../../src/audit/audit-log';
import { decisionReport } from '../../admin/decision-report';
import { startAzurite, type Azurite } from '../../sandbox/azurite';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

function record(
  taskId: string,
  decidedAt: string,
  rule: string,
  action: AuditRecord['action'],
  user: string,
  printerId = 'p1',
): AuditRecord {
  return {
    receivedAt: decidedAt,
    taskId,
    taskDefinitionId: 'td',
    jobId: taskId.replace('t', ''),
    printerId,
    userPrincipalName: user,
    rule,
    action,
    decision: action === 'deny' ? { action: 'deny', rule, reason: 'no' } : { action: 'release', rule },
    outcome: action === 'deny' ? 'denied' : 'released',
    correlationId: taskId,
    decidedAt,
  };
}

describe('the decision report over the audit table', () => {
  let azurite: Azurite;
  let table: TableClient;

  beforeAll(async () => {
    azurite = await startAzurite();
    table = TableClient.fromConnectionString(azurite.connectionString, 'releasegateaudit', {
      allowInsecureConnection: true,
    });
    const audit = tableAuditLog(table);
    await audit.write(record('t1', '2026-11-20T09:00:00.000Z', 'staff', 'release', 'ann@contoso.com'));
    await audit.write(record('t2', '2026-11-21T10:00:00.000Z', 'after hours', 'deny', 'bob@contoso.com'));
    await audit.write(record('t3', '2026-11-21T23:59:00.000Z', 'staff', 'release', 'ann@contoso.com', 'p2'));
    await audit.write(record('t4', '2026-11-25T08:00:00.000Z', 'staff', 'release', 'cy@contoso.com'));
  });
  afterAll(async () => azurite?.stop());

  it('counts decisions in the time range by rule, action, outcome, printer and user', async () => {
    const report = await decisionReport(table, new Date('2026-11-20T00:00:00Z'), new Date('2026-11-22T00:00:00Z'));
    expect(report.total).toBe(3);
    expect(report.byRule).toEqual({ staff: 2, 'after hours': 1 });
    expect(report.byAction).toEqual({ release: 2, deny: 1 });
    expect(report.byOutcome).toEqual({ released: 2, denied: 1 });
    expect(report.byPrinter).toEqual({ p1: 2, p2: 1 });
    expect(report.byUser).toEqual({ 'ann@contoso.com': 2, 'bob@contoso.com': 1 });
  });

  it('runs as npm run report does', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--require', 'tsx/cjs', 'scripts/report.ts', '--from', '2026-11-21', '--to', '2026-11-26'],
      {
        cwd: root,
        env: { ...process.env, AzureWebJobsStorage: azurite.connectionString },
      },
    );
    expect(stdout).toMatch(/Decisions from 2026-11-21T00:00:00.000Z to 2026-11-26T00:00:00.000Z: 3/);
    expect(stdout).toMatch(/after hours\s+1/);
    expect(stdout).toMatch(/cy@contoso.com\s+1/);
  });
});

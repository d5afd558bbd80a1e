import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { tableAuditLog, type AuditRecord } from '../../src/audit/audit-log';
import { decisionReport, reportPeriod } from '../../admin/decision-report';
import { startAzurite, type Azurite } from '../../sandbox/azurite';
import { writeRunning } from '../../sandbox/state-file';
import { EXIT, runCommand } from '../../admin/cli/cli';
import { command, EXIT_NOT_CONFIGURED } from '../../scripts/report';
import { recordingTerminal } from '../support/recording-terminal';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

function record(
  taskId: string,
  decidedAt: string,
  rule: string,
  action: AuditRecord['action'],
  user: string,
  printerId = 'p1',
  printerName: string | null = 'School Library',
): AuditRecord {
  return {
    receivedAt: decidedAt,
    taskId,
    taskDefinitionId: 'td',
    jobId: taskId.replace('t', ''),
    printerId,
    ...(printerName ? { printerName } : {}),
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
  const env = () => ({ AzureWebJobsStorage: azurite.connectionString });

  /** `npm run report -- …` in-process: exit code and what it wrote. */
  async function report(args: string[], environment: NodeJS.ProcessEnv = env()) {
    const terminal = recordingTerminal();
    const code = await runCommand(command(terminal, environment), args, terminal);
    return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
  }

  beforeAll(async () => {
    azurite = await startAzurite();
    table = TableClient.fromConnectionString(azurite.connectionString, 'releasegateaudit', {
      allowInsecureConnection: true,
    });
    const audit = tableAuditLog(table);
    // t1 was written before records carried the printer's name: it takes the name t4 recorded for p1.
    await audit.write(record('t1', '2026-11-20T09:00:00.000Z', 'staff', 'release', 'ann@contoso.com', 'p1', null));
    await audit.write(record('t2', '2026-11-21T10:00:00.000Z', 'after hours', 'deny', 'bob@contoso.com'));
    await audit.write(record('t3', '2026-11-21T23:59:00.000Z', 'staff', 'release', 'ann@contoso.com', 'p2', 'HQ Mono'));
    await audit.write(record('t4', '2026-11-25T08:00:00.000Z', 'staff', 'release', 'cy@contoso.com'));
    await audit.write(record('t5', '2026-11-26T08:00:00.000Z', 'staff', 'release', 'cy@contoso.com', 'p9', null));
  });
  afterAll(async () => azurite?.stop());

  it('counts decisions in the period by rule, action, outcome, printer name and user', async () => {
    const period = reportPeriod({ from: '2026-11-20', to: '2026-11-25' });
    const result = await decisionReport(table, period);
    expect(result.total).toBe(4);
    expect(result.byRule).toEqual({ staff: 3, 'after hours': 1 });
    expect(result.byAction).toEqual({ release: 3, deny: 1 });
    expect(result.byOutcome).toEqual({ released: 3, denied: 1 });
    expect(result.byPrinter).toEqual({ 'School Library': 3, 'HQ Mono': 1 });
    expect(result.byUser).toEqual({ 'ann@contoso.com': 2, 'bob@contoso.com': 1, 'cy@contoso.com': 1 });
    // A printer never named in any record shows its id.
    const later = await decisionReport(table, reportPeriod({ from: '2026-11-26', to: '2026-11-26' }));
    expect(later.byPrinter).toEqual({ p9: 1 });
    // …unless it can be looked up (the sandbox's Graph); a failed look-up is said, the ids stay.
    const asked: string[][] = [];
    const named = await decisionReport(table, reportPeriod({ from: '2026-11-26', to: '2026-11-26' }), async (ids) => {
      asked.push(ids);
      return { p9: 'Annex' };
    });
    expect([named.byPrinter, asked, named.notes]).toEqual([{ Annex: 1 }, [['p9']], undefined]);
    const failed = await decisionReport(table, reportPeriod({ from: '2026-11-26', to: '2026-11-26' }), async () => {
      throw new Error('graph down');
    });
    expect(failed.byPrinter).toEqual({ p9: 1 });
    expect(failed.notes).toEqual(['1 printer(s) are shown by id: their names could not be looked up (graph down).']);
  });

  it('--to includes its whole day (UTC, or the --time-zone given)', () => {
    const utc = reportPeriod({ from: '2026-11-21', to: '2026-11-21' });
    expect([utc.from.toISOString(), utc.to.toISOString()]).toEqual([
      '2026-11-21T00:00:00.000Z',
      '2026-11-21T23:59:59.999Z',
    ]);
    expect(utc.label).toBe('2026-11-21 to 2026-11-21 (UTC, both days included)');
    const berlin = reportPeriod({ from: '2026-11-21', to: '2026-11-21', timeZone: 'Europe/Berlin' });
    expect([berlin.from.toISOString(), berlin.to.toISOString()]).toEqual([
      '2026-11-20T23:00:00.000Z',
      '2026-11-21T22:59:59.999Z',
    ]);
    // Across the change to summer time (Berlin, 29 March 2026: 23 hours).
    const spring = reportPeriod({ from: '2026-03-29', to: '2026-03-29', timeZone: 'Europe/Berlin' });
    expect([spring.from.toISOString(), spring.to.toISOString()]).toEqual([
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T21:59:59.999Z',
    ]);
  });

  it('runs as the README shows it, naming printers and users', async () => {
    const { code, stdout } = await report(['--from', '2026-11-21', '--to', '2026-11-25']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/^Decisions from 2026-11-21 to 2026-11-25 \(UTC, both days included\): 3/);
    expect(stdout).toMatch(/after hours\s+1/);
    expect(stdout).toMatch(/School Library\s+2/);
    expect(stdout).toMatch(/cy@contoso.com\s+1/);
    expect(stdout).not.toContain('\x1b[');
    const json = await report(['--from', '2026-11-21', '--to', '2026-11-21', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ total: 2, byPrinter: { 'School Library': 1, 'HQ Mono': 1 } });
  });

  it('says "No decisions" for an empty period instead of empty tables', async () => {
    const { code, stdout } = await report(['--from', '2026-10-01', '--to', '2026-10-31']);
    expect(code).toBe(EXIT.ok);
    expect(stdout.trim()).toBe('No decisions from 2026-10-01 to 2026-10-31 (UTC, both days included).');
  });

  it('refuses bad dates (echoing them), --from after --to, and an unknown time zone: exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--from', '2026-13-01'], /--from "2026-13-01" is not a date/],
      [['--to', 'yesterday'], /--to "yesterday" is not a date/],
      [['--to', '2026-11-30T10:00'], /--to "2026-11-30T10:00" is not a date.*with its offset/],
      [['--from', '2026-11-30', '--to', '2026-11-01'], /--from 2026-11-30 is after --to 2026-11-01/],
      [['--time-zone', 'Mars/Olympus'], /--time-zone "Mars\/Olympus" is not a time zone/],
      [['--port', '7071'], /--port goes with --sandbox/],
      [['--form', '2026-11-01'], /unknown option '--form'[\s\S]*Did you mean --from\?/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await report(args);
      expect({ args, code }).toEqual({ args, code: EXIT.usage });
      expect(stderr).toMatch(message);
    }
  });

  it('without storage settings, names the settings to set and --sandbox: exit 3', async () => {
    const { code, stderr } = await report(['--from', '2026-11-01'], {});
    expect(code).toBe(EXIT_NOT_CONFIGURED);
    expect(stderr).toMatch(
      /set AzureWebJobsStorage .*AzureWebJobsStorage__tableServiceUri.*RELEASE_GATE_AUDIT_TABLE.*--sandbox/,
    );
  });

  it("--sandbox reads the running sandbox's settings; without one running it says how to start one", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sandbox-state-'));
    try {
      const sandboxEnv = { RELEASE_GATE_SANDBOX_DIR: dir };
      const none = await report(['--sandbox'], sandboxEnv);
      expect(none.code).toBe(EXIT_NOT_CONFIGURED);
      expect(none.stderr).toMatch(/No sandbox is running: start one with `npm run sandbox`/);
      writeRunning(
        {
          simulatorUrl: 'https://127.0.0.1:1',
          hostUrl: 'http://127.0.0.1:7999',
          hostPort: 7999,
          pid: process.pid,
          startedAt: new Date().toISOString(),
          policy: 'demo',
        },
        { AzureWebJobsStorage: azurite.connectionString },
        sandboxEnv,
      );
      const found = await report(['--sandbox', '--from', '2026-11-20', '--to', '2026-11-20'], sandboxEnv);
      expect(found.stdout).toMatch(/Decisions from 2026-11-20 to 2026-11-20 .*: 1/);
      const port = await report(['--sandbox', '--port', '7998'], sandboxEnv);
      expect(port.code).toBe(EXIT_NOT_CONFIGURED);
      expect(port.stderr).toMatch(/No sandbox runs on port 7998; running: 7999/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers --help with its examples and exit codes', async () => {
    const { code, stdout } = await report(['--help']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('npm run report -- --sandbox --from 2026-11-01 --to 2026-11-30');
    expect(stdout).toMatch(/both included/);
    expect(stdout).toMatch(/3 {2}no storage configured/);
  });

  it('runs as npm run report does (a real process, its exit code)', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--require', 'tsx/cjs', 'scripts/report.ts', '--from', '2026-11-26', '--to', '2026-11-26'],
      { cwd: root, env: { ...process.env, AzureWebJobsStorage: azurite.connectionString, NO_COLOR: '1' } },
    );
    expect(stdout).toMatch(/Decisions from 2026-11-26 to 2026-11-26 \(UTC, both days included\): 1/);
    await expect(
      run(process.execPath, ['--require', 'tsx/cjs', 'scripts/report.ts', '--to', 'soon'], { cwd: root }),
    ).rejects.toMatchObject({ code: EXIT.usage });
  });
});

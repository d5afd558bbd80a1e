import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runCommand } from '../../admin/cli/cli';
import { runDemo } from '../../sandbox/demo/run-demo';
import { command as printCommand } from '../../sandbox/print-job';
import { listRunning } from '../../sandbox/state-file';
import { recordingTerminal } from '../support/recording-terminal';
import { waitFor } from '../support/wait';

const root = path.resolve(__dirname, '../..');

/** A sandbox started as `npm run sandbox` starts it (a child process), with its output collected. */
function startSandboxCommand(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/main.ts', '--simulator-port', '0', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** `npm run print -- …` in-process against the sandboxes announced in RELEASE_GATE_SANDBOX_DIR. */
async function print(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const terminal = recordingTerminal();
  const code = await runCommand(printCommand(terminal), args, terminal);
  return { code, out: terminal.stdout(), err: terminal.stderr() };
}

describe('the sandbox commands as a developer runs them', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'release-gate-sandboxes-'));
  // These sandboxes announce themselves in their own state directory, not in a developer's.
  const env = { ...process.env, RELEASE_GATE_SANDBOX_DIR: stateDir, FORCE_COLOR: '0' };
  const saved = process.env.RELEASE_GATE_SANDBOX_DIR;
  const children: ChildProcess[] = [];
  beforeAll(() => (process.env.RELEASE_GATE_SANDBOX_DIR = stateDir));
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    process.env.RELEASE_GATE_SANDBOX_DIR = saved;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('npm run demo: every scripted job ends as the demo policy decides, each decision said as it comes; a student reaches the colour quota; the history replayed through a stricter policy', async () => {
    const lines: string[] = [];
    const { ok, rows, pullRows, replay, printerState, expiry, messages } = await runDemo({
      log: (line) => lines.push(line),
    });
    expect(rows.map((r) => r.decision)).toEqual([
      'release',
      'release-with-changes',
      'release-with-changes',
      'redirect',
      'deny',
      'deny',
      'hold',
      'hold',
      // Sam Student, one job at a time: the poster takes the last 4 of 5 colour copies, the next colour
      // job is denied with where he stands, black and white still prints.
      'release-with-changes',
      'deny',
      'release-with-changes',
    ]);
    expect(lines).toContain(
      '  student colour job over the quota: deny (students: colour quota): "You have used 5 of 5 colour copies ' +
        'this term (Demo term); black-and-white printing is still open."',
    );
    expect(lines).toContain(
      "  Sam's release page says: Colour copies this term (Demo term): 5 of 5 used, 0 left (limit reached)",
    );
    // Replayed with quotas re-accumulated: under 3 a month Sam's poster is denied, so his next colour job fits.
    expect(replay.notReplayable.total).toBe(0);
    expect(replay.byRuleChange.map((c) => [c.oldRule, c.newRule, c.count])).toEqual(
      expect.arrayContaining([
        ['at most 5 copies', 'at most 2 copies', 1],
        ['students: two-sided', 'students: colour quota', 1],
        ['students: colour quota', 'students: two-sided', 1],
      ]),
    );
    expect(pullRows.map((r) => [r.document, r.printed_at, r.job_state])).toEqual([
      ['Slides.pdf', 'School Library', 'completed'],
      ['Contract.pdf', 'HQ Floor 1 Color', 'completed'],
      ['Invoice.pdf', 'HQ Floor 1 Color', 'completed'],
      ['Old draft.pdf', '-', 'aborted'],
      ['Forgotten.pdf', '-', 'aborted'],
    ]);
    // Each denial mailed to its owner from the sender mailbox, Megan's in German (her preferredLanguage).
    expect(messages.denials.map((m) => [m.from, m.to, m.subject.split(':')[0]])).toEqual([
      ['releasegate@contoso.example', ['adele@contoso.example'], 'Not printed'],
      ['releasegate@contoso.example', ['megan@contoso.example'], 'Nicht gedruckt'],
    ]);
    // A printer out of paper: refused with the reason and the ready printer nearby, then printed there.
    expect(printerState).toMatchObject({
      refusal: 'HQ Floor 2 Mono is out of paper; your jobs are still held.',
      alternatives: ['HQ Floor 1 Color'],
      printedAt: 'HQ Floor 1 Color',
    });
    // Before a hold expires: the warning is mailed with a keep link, and following it keeps the job a day more.
    expect(expiry.warning).toMatchObject({
      from: 'releasegate@contoso.example',
      to: ['adele@contoso.example'],
      subject: 'Expiring soon: Poster draft.pdf',
      content: expect.stringMatching(/\?keep=/),
    });
    expect(Date.parse(expiry.keptUntil!) - Date.parse(expiry.expiresAt!)).toBe(24 * 3600_000);
    expect(lines).toContain(
      `  adele@contoso.example followed the keep link: Poster draft.pdf kept until ${expiry.keptUntil}`,
    );
    expect(ok).toBe(true);
    // Issue 18: a delegated release, with its audit lines.
    expect(lines).toContain('  megan@contoso.example released it at the School Library: released');
    expect(
      lines.some((l) =>
        /released-for-owner by megan@contoso\.example: released by megan@contoso\.example for adele@contoso\.example/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(lines).toContain('  A delegated release: ok');
    // Progress before the tables: one line per decision, in order.
    const tableAt = lines.indexOf('\nPolicy decisions:\n');
    expect(lines.slice(0, tableAt)).toEqual(
      expect.arrayContaining([
        '  ordinary job: release (everything else)',
        '  pull queue: hold (pull queue: hold for release at a printer)',
      ]),
    );
    expect(lines.at(-1)).toMatch(/Every job ended as expected/);
  }, 60000);

  it('npm run demo | head -3: the closed pipe stops the demo and the Azurite it started', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/demo/run-demo.ts'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    // Once Azurite runs (its line is out), find it among the demo's children, then close the pipe.
    await waitFor('Azurite to start', () => output.includes('Starting Azurite (storage): done'), 30000);
    const { stdout } = await promisify(execFile)('pgrep', ['-P', String(child.pid)]);
    const azurite = stdout.trim().split('\n').map(Number);
    expect(azurite.length).toBeGreaterThan(0);
    child.stdout.destroy();
    expect(await exited).toBe(141);
    await waitFor(
      'Azurite to stop',
      () =>
        azurite.every((pid) => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        }),
      10000,
    );
  }, 60000);

  it(
    'two sandboxes (one with a JSON policy) keep separate state: stopping the second leaves print --wait ' +
      'working against the first (its policy denies, exit 3), and Ctrl-C exits 0',
    async () => {
      const school = startSandboxCommand(['--port', '0', '--policy', 'policies/examples/school/policy.json'], env);
      const second = startSandboxCommand(['--port', '0'], env);
      children.push(school.child, second.child);
      await waitFor('both sandboxes', () => listRunning().length === 2 && listRunning(), 60000);
      await waitFor('both banners', () =>
        [school, second].every((s) => s.output().includes('Release Gate sandbox is running')),
      );
      // The banner names the policy in force.
      expect(school.output()).toMatch(/Policy +policies\/examples\/school\/policy\.json \(declarative policy "School"/);
      expect(second.output()).toMatch(/Policy +sandbox\/demo\/demo-policy\.ts \(the demo policy/);
      const [first] = listRunning().filter((s) => s.pid === school.child.pid);

      // With two running, print asks which one.
      const ambiguous = await print(['--user', 'adele@contoso.example', '--printer', 'School Library']);
      expect(ambiguous.code).toBe(1);
      expect(ambiguous.err).toMatch(/2 sandboxes are running .*pass --port/);

      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
      expect(listRunning().map((s) => s.hostPort)).toEqual([first!.hostPort]);

      // The school's policy lets only its staff and students print: Adele is denied, and told why.
      const denied = await print([
        '--user',
        'adele@contoso.example',
        '--printer',
        'library',
        '--wait',
        '--timeout',
        '30',
      ]);
      expect(denied.out).toMatch(/^Job \d+ on "School Library" as adele@contoso.example: paused, task .+ processing/);
      expect(denied.out).toMatch(/Waiting for the decision: denied/);
      expect(denied.err).toMatch(/Denied \(rule ".+"\): (Only staff and students|Printing is open on school days)/);
      expect(denied.code).toBe(3);

      school.child.kill('SIGINT');
      expect(await school.exited).toBe(0);
      expect(school.output()).toContain('Stopping…');
      expect(listRunning()).toEqual([]);
    },
    120000,
  );
});

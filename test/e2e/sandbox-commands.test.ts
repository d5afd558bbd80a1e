import { spawn, execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runDemo } from '../../sandbox/demo/run-demo';
import { parseSize } from '../../sandbox/print-job';
import { waitFor } from '../support/wait';

const root = path.resolve(__dirname, '../..');
const run = promisify(execFile);
// This test's sandbox announces itself in its own state file, not in a developer's running one.
const stateEnv = {
  ...process.env,
  RELEASE_GATE_SANDBOX_DIR: path.join(os.tmpdir(), `release-gate-sandbox-${process.pid}`),
};

describe('the sandbox commands as a developer runs them', () => {
  it('npm run demo: every scripted job ends as the demo policy decides', async () => {
    const lines: string[] = [];
    const { ok, rows, pullRows } = await runDemo({ log: (line) => lines.push(line) });
    expect(rows.map((r) => r.decision)).toEqual([
      'release',
      'release-with-changes',
      'release-with-changes',
      'redirect',
      'deny',
      'deny',
      'hold',
      'hold',
    ]);
    expect(pullRows.map((r) => [r.document, r.printed_at, r.job_state])).toEqual([
      ['Slides.pdf', 'School Library', 'completed'],
      ['Contract.pdf', 'HQ Floor 1 Color', 'completed'],
      ['Invoice.pdf', 'HQ Floor 1 Color', 'completed'],
      ['Old draft.pdf', '-', 'aborted'],
      ['Forgotten.pdf', '-', 'aborted'],
    ]);
    expect(ok).toBe(true);
    expect(lines.at(-1)).toMatch(/Every job ended as expected/);
  }, 60000);

  it('npm run sandbox starts, takes a job from npm run print, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'sandbox/main.ts', '--port', '0', '--simulator-port', '0'],
      {
        cwd: root,
        env: stateEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the sandbox to be ready', () => output.includes('Release Gate sandbox is running'), 45000);
      const { stdout } = await run(
        process.execPath,
        [
          '--require',
          'tsx/cjs',
          'sandbox/print-job.ts',
          '--user',
          'adele@contoso.example',
          '--printer',
          'floor 1',
          '--size',
          '1MB',
        ],
        { cwd: root, env: stateEnv },
      );
      expect(stdout).toMatch(/^Job \d+ on "HQ Floor 1 Color" as adele@contoso.example: paused, task .+ processing/);
      await waitFor('the decision', () => /task\.finished .*outcome=released/.test(output), 20000);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('Stopping…');
  }, 90000);

  it('reads document sizes as people write them', () => {
    expect(parseSize('250KB')).toBe(256000);
    expect(parseSize('2 MB')).toBe(2 * 1024 * 1024);
    expect(parseSize('100')).toBe(100);
    expect(() => parseSize('big')).toThrow(/--size/);
  });
});

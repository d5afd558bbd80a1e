import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../../../admin/cli/cli';
import { command } from '../../../scripts/policy-cli';
import { recordingTerminal } from '../../support/recording-terminal';

const SCHOOL = path.resolve(__dirname, '../../../policies/examples/school');
const HISTORY = path.join(SCHOOL, 'history.jsonl');
const PERIOD = ['--from', '2026-11-02', '--to', '2026-11-27'];

/** `npm run policy -- replay …` in-process: its exit code and what it wrote. */
async function replay(...args: string[]) {
  const terminal = recordingTerminal();
  const code = await runCommand(command(terminal, {}), ['replay', ...args], terminal);
  return { code, out: terminal.stdout(), err: terminal.stderr() };
}

describe('npm run policy -- replay', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'replay-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 3 and shows the changes when a stricter policy would decide some jobs differently', async () => {
    const { code, out } = await replay(path.join(SCHOOL, 'stricter.json'), '--file', HISTORY, ...PERIOD);
    expect(code).toBe(3);
    expect(out).toContain('200 recorded decision(s)');
    expect(out).toMatch(/not replayable 3 .*\n\s+3 {2}group 5e6f7a8b-0000-4000-8000-000000000001 was not checked/);
    expect(out).toContain('"students: grayscale, duplex, at most 10 copies" → "no printing outside lessons"');
    expect(out).toContain('hour (Europe/London)');
  });

  it('exits 0 when nothing would change (the policy the history was decided by), and --json is for tools', async () => {
    const { code, out } = await replay(path.join(SCHOOL, 'policy.json'), '--file', HISTORY, ...PERIOD, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ total: 200, replayed: 200, changed: 0, timeZone: 'Europe/London' });
  });

  it('replays only the period, and --export writes its records for an offline replay', async () => {
    const exported = path.join(dir, 'one-day.jsonl');
    const { code, out } = await replay(
      path.join(SCHOOL, 'policy.json'),
      '--file',
      HISTORY,
      '--from',
      '2026-11-04',
      '--to',
      '2026-11-04',
      '--export',
      exported,
      '--time-zone',
      'UTC',
    );
    expect(code).toBe(0);
    const lines = readFileSync(exported, 'utf8').trim().split('\n');
    expect(out).toContain(`Wrote ${lines.length} record(s) to ${exported}`);
    expect(lines.every((l) => (JSON.parse(l) as { decidedAt: string }).decidedAt.startsWith('2026-11-04'))).toBe(true);
    expect(out).toContain(`${lines.length} recorded decision(s)`);
  });

  it('exits 1 on an invalid policy or records file, naming the bad line', async () => {
    const bad = path.join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"jobId":"1","decidedAt":"yesterday","decision":{}}\nnot json\n');
    const invalidFile = await replay(path.join(SCHOOL, 'policy.json'), '--file', bad, ...PERIOD);
    expect(invalidFile.code).toBe(1);
    expect(invalidFile.err).toContain('line 1: decidedAt: expected an ISO time, got "yesterday"');
    expect(invalidFile.err).toContain('line 2: not JSON');
    const invalidPolicy = await replay(path.join(SCHOOL, 'jobs', 'visitor.json'), '--file', HISTORY, ...PERIOD);
    expect(invalidPolicy.code).toBe(1);
    const noStorage = await replay(path.join(SCHOOL, 'policy.json'), ...PERIOD);
    expect(noStorage.code).toBe(1);
    expect(noStorage.err).toContain('No storage to read the audit table from');
  });

  it('exits 2 on a bad command line, echoing the bad value', async () => {
    const policy = path.join(SCHOOL, 'policy.json');
    expect(await replay(policy, '--file', HISTORY, '--from', '2026-13-01')).toMatchObject({
      code: 2,
      err: expect.stringContaining('--from "2026-13-01" is not a date') as unknown,
    });
    expect((await replay(policy, '--file', HISTORY, '--sample', 'many')).code).toBe(2);
    expect((await replay(policy, '--file', HISTORY, '--sandbox')).code).toBe(2);
    expect((await replay(policy, '--file', HISTORY, '--time-zone', 'Mars/Olympus')).code).toBe(2);
  });
});

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT, runCommand, type Terminal } from '../../../admin/cli/cli';
import { command as packageCommand } from '../../../scripts/package';
import { command as benchCommand } from '../../../bench/run';
import { recordingTerminal } from '../../support/recording-terminal';

async function run(build: (terminal: Terminal) => ReturnType<typeof packageCommand>, args: string[]) {
  const terminal = recordingTerminal();
  const code = await runCommand(build(terminal), args, terminal);
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

describe('npm run package and npm run bench: their command lines', () => {
  it('package answers --help, suggests the nearest flag, refuses an --out that is not a zip', async () => {
    const help = await run(packageCommand, ['--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toContain('npm run package -- --out /tmp/release-gate.zip --no-check');
    expect(help.stdout).toMatch(/3 {2}the sources do not compile/);
    const typo = await run(packageCommand, ['--no-chek']);
    expect(typo.code).toBe(EXIT.usage);
    expect(typo.stderr).toMatch(/unknown option '--no-chek'[\s\S]*Did you mean --no-check\?/);
    const notZip = await run(packageCommand, ['--out', 'package.tar', '--no-check']);
    expect(notZip.code).toBe(EXIT.usage);
    expect(notZip.stderr).toMatch(/--out "package.tar" should name a .zip file/);
  });

  it('package writes the zip where --out says (without the compile check)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'package-'));
    try {
      const out = path.join(dir, 'app.zip');
      const { code, stdout } = await run(packageCommand, ['--out', out, '--no-check']);
      expect(code).toBe(EXIT.ok);
      expect(stdout).toMatch(/app\.zip: \d+ files, \d+ KiB/);
      expect(statSync(out).size).toBeGreaterThan(10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bench answers --help (and runs nothing); a typo gets the nearest flag, exit 2', async () => {
    const help = await run(benchCommand, ['--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toContain('npm run bench -- --quick');
    expect(help.stdout).toMatch(/bench\/results\//);
    const typo = await run(benchCommand, ['--quik']);
    expect(typo.code).toBe(EXIT.usage);
    expect(typo.stderr).toMatch(/unknown option '--quik'[\s\S]*Did you mean --quick\?/);
    const extra = await run(benchCommand, ['quick']);
    expect(extra.code).toBe(EXIT.usage);
  });
});

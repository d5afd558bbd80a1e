import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { command } from '../../scripts/policy-cli';
import { runCommand } from '../../admin/cli/cli';
import { recordingTerminal } from '../support/recording-terminal';

const root = path.resolve(__dirname, '../..');
const run = promisify(execFile);
const SCHOOL = 'policies/examples/school/policy.json';
const OFFICE = 'policies/examples/office/policy.json';

/** The CLI as an admin runs it (npm run policy -- …), in a child process: output and exit code. */
const spawned = (...args: string[]) =>
  run(process.execPath, ['--require', 'tsx/cjs', 'scripts/policy-cli.ts', ...args], { cwd: root }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      out: error.stdout + error.stderr,
    }),
  );

/**
 * The same command in this process (a child costs ~1.5 s of tsx start-up): the code runCommand returns
 * is what the script sets as the exit code, which the spawned test below proves.
 */
const cli = async (...args: string[]) => {
  const terminal = recordingTerminal();
  const cwd = process.cwd();
  process.chdir(root); // file names are relative to where the admin runs it, as with npm run
  try {
    const code = await runCommand(command(terminal), args, terminal);
    return { code, out: terminal.stdout() + terminal.stderr(), stdout: terminal.stdout() };
  } finally {
    process.chdir(cwd);
  }
};

describe('npm run policy, as an admin runs it', () => {
  it('check: exit 0 for a valid policy', async () => {
    const { code, out } = await cli('check', SCHOOL);
    expect(out).toMatch(/policy "School" is valid: 3 rule\(s\), time zone Europe\/London\./);
    expect(code).toBe(0);
  });

  it('check: exit 1 with every error, naming the rule, the field, what is expected and the bad value', async () => {
    const { code, out } = await cli('check', 'test/policy/fixtures/invalid-policy.json');
    expect(code).toBe(1);
    expect(out.split('\n')).toEqual(
      expect.arrayContaining([
        '  - timeZone: expected an IANA time zone such as Europe/London or America/New_York, got "Mars/Olympus"',
        '  - rule 1 "bad time": when.time.from: expected a 24-hour time like 07:30, got "7am"',
        '  - rule 2 "deny without reason": then.deny.reason: required (Shown to the user: say why and what to do instead.)',
        expect.stringMatching(/^ {2}- rule 3 "typo": when: unknown key "colour" \(did you mean "colorMode"\?\)/),
        expect.stringMatching(/^ {2}- rule 3 "typo": then: needs exactly one of .*\(did you mean "release"\?\)$/),
        '  - rule 4 "Bad time": when.copies.min: must be at least 1, got 0',
        // With the other errors, not only once everything else is fixed.
        '  - rule 4 "Bad time": name: rule 1 has the same name; rule names must be unique (the audit reports by name)',
      ]),
    );
  });

  it('explain: prints the path through the rules and the decision; several jobs at once', async () => {
    const { code, out } = await cli(
      'explain',
      SCHOOL,
      'policies/examples/school/jobs/student-colour.json',
      'policies/examples/school/jobs/student-evening.json',
    );
    expect(code).toBe(0);
    expect(out).toContain(
      [
        '  ✘ rule 1 "no printing after hours"',
        '      ✘ not',
        '        ✔ time (tue 10:00 in Europe/London)',
        '  ✘ rule 2 "staff print freely"',
        '      ✘ users (sam@students.school.example)',
        '  ✔ rule 3 "students: grayscale, duplex, at most 10 copies"',
        '      ✔ users (sam@students.school.example)',
        'Decision: release-with-changes by rule "students: grayscale, duplex, at most 10 copies"',
        '  changes: {"colorMode":"grayscale","duplexMode":"flipOnLongEdge"}',
      ].join('\n'),
    );
    expect(out).toMatch(/Decision: deny by rule "no printing after hours": Printing is open on school days/);
  });

  it('explain: exit 3 when a decision differs from the job file\'s "expected"; --json for scripts', async () => {
    // Spawned: the exit code reaches the shell, and stdout is JSON alone.
    const { code, out } = await spawned(
      'explain',
      SCHOOL,
      'test/policy/fixtures/student-expected-wrongly.json',
      '--json',
    );
    expect(code).toBe(3);
    const [result] = JSON.parse(out) as { job: string; decidedBy: string; asExpected: boolean; trace: unknown[] }[];
    expect(result).toMatchObject({
      job: '55501',
      decidedBy: 'students: grayscale, duplex, at most 10 copies',
      asExpected: false,
    });
    expect(result!.trace).toHaveLength(3);
  });

  it('explain: exit 1 when the job file lacks what a rule needs, saying what to add', async () => {
    const { code, out } = await cli('explain', OFFICE, 'test/policy/fixtures/a3-without-groups.json');
    expect(code).toBe(1);
    expect(out).toMatch(/the policy could not decide: A rule needs the owner's groups: add "groups"/);
  });

  it('explain: exit 1 for a file that is not a job; exit 2 for a wrong command line', async () => {
    const notJob = await cli('explain', SCHOOL, 'package.json');
    expect(notJob.code).toBe(1);
    expect(notJob.out).toMatch(/package\.json is not a print job:\n {2}- id: /);
    const usage = await cli('explain', SCHOOL);
    expect(usage.code).toBe(2);
    expect(usage.out).toMatch(/missing required argument 'job\.json'/);
  });

  it('schema --check: exit 0 while policies/policy.schema.json is current', async () => {
    expect(await cli('schema', '--check')).toMatchObject({ code: 0, out: 'policies/policy.schema.json is current.' });
  });

  it('--help for the whole and for each command: usage, examples, exit codes; exit 0', async () => {
    const whole = await cli('--help');
    expect(whole.code).toBe(0);
    expect(whole.stdout).toMatch(/^Usage: npm run policy -- \[options\] \[command\]/);
    expect(whole.stdout).toMatch(/check \[options\] <policy\.json> +validate a policy/);
    expect(whole.stdout).toContain('3  explain: a decision differs from the job file\'s "expected"');
    for (const [name, usage, code] of [
      ['check', 'check [options] <policy.json>', '1  the policy is invalid'],
      ['explain', 'explain [options] <policy.json> <job.json...>', '3  a decision differs'],
      ['schema', 'schema [options]', '1  --check: the file is stale'],
    ] as const) {
      const help = await cli(name, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: npm run policy -- ${usage}`);
      expect(help.stdout).toMatch(new RegExp(`Examples:\\n {2}npm run policy -- ${name}\\b`));
      expect(help.stdout).toContain(code);
    }
  });

  it('exit 2 for a wrong command line, with the nearest command or flag', async () => {
    const cases: [string[], RegExp][] = [
      [[], /Usage: npm run policy --[\s\S]*Commands:/],
      [['chek', SCHOOL], /unknown command 'chek'\n\(Did you mean check\?\)/],
      [['check', SCHOOL, '--plugn', 'x.js'], /unknown option '--plugn'\n\(Did you mean --plugin\?\)/],
      [['explain', SCHOOL, 'x.json', '--jsn'], /unknown option '--jsn'\n\(Did you mean --json\?\)/],
      [['check'], /missing required argument 'policy\.json'/],
      [['check', SCHOOL, OFFICE], /too many arguments for 'check'/],
    ];
    for (const [args, message] of cases) {
      const { code, out } = await cli(...args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(out).toMatch(message);
    }
  });

  it('a JSON syntax error has line and column, the line and a caret; a bad job file echoes its values; exit 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'policy-cli-'));
    try {
      const file = path.join(dir, 'policy.json');
      writeFileSync(file, '{\n  "name": "x",\n  "rules": [\n    { "name": "r" "when": {} }\n  ]\n}\n');
      const broken = await cli('check', file);
      expect(broken.code).toBe(1);
      expect(broken.out.split('\n').slice(0, 3)).toEqual([
        `${file}:4:19: not valid JSON: Expected ',' or '}' after property value`,
        '      { "name": "r" "when": {} }',
        '                    ^',
      ]);
      const job = path.join(dir, 'job.json');
      writeFileSync(job, JSON.stringify({ id: '1', documents: [{ id: 'd', size: 'big' }], now: 'tomorrow' }));
      const badJob = await cli('explain', SCHOOL, job);
      expect(badJob.code).toBe(1);
      expect(badJob.out.split('\n')).toEqual([
        `${job} is not a print job:`,
        '  - status: required',
        '  - documents.0.size: expected a number, got "big"',
        '  - now: expected an ISO date and time such as 2026-11-24T10:00:00Z, got "tomorrow"',
      ]);
      expect(await cli('check', dir)).toMatchObject({ code: 1, out: `${dir}: is a directory; name a JSON file` });
      const missing = await cli('check', path.join(dir, 'nope.json'));
      expect(missing).toMatchObject({
        code: 1,
        out: expect.stringContaining(`nope.json: no such file (looked for ${path.join(dir, 'nope.json')})`),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../scripts/policy-cli';

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
 * The same CLI's main() in this process (a child costs ~1.5 s of tsx start-up): the code main()
 * returns is what the script sets as the exit code, which the spawned test below proves.
 */
const cli = async (...args: string[]) => {
  let out = '';
  const capture = (...parts: unknown[]) => void (out += `${parts.map(String).join(' ')}\n`);
  const log = jest.spyOn(console, 'log').mockImplementation(capture);
  const error = jest.spyOn(console, 'error').mockImplementation(capture);
  const cwd = process.cwd();
  process.chdir(root); // file names are relative to where the admin runs it, as with npm run
  try {
    return { code: await main(args), out };
  } finally {
    process.chdir(cwd);
    log.mockRestore();
    error.mockRestore();
  }
};

describe('npm run policy, as an admin runs it', () => {
  it('check: exit 0 for a valid policy', async () => {
    const { code, out } = await cli('check', SCHOOL);
    expect(out).toMatch(/policy "School" is valid: 3 rule\(s\), time zone Europe\/London\./);
    expect(code).toBe(0);
  });

  it('check: exit 1 with every error, naming the rule, the field and what is expected', async () => {
    const { code, out } = await cli('check', 'test/policy/fixtures/invalid-policy.json');
    expect(code).toBe(1);
    expect(out.split('\n')).toEqual(
      expect.arrayContaining([
        '  - timeZone: expected an IANA time zone such as Europe/London or America/New_York',
        '  - rule 1 "bad time": when.time.from: expected a 24-hour time like 07:30',
        '  - rule 2 "deny without reason": then.deny.reason: required (Shown to the user: say why and what to do instead.)',
        expect.stringMatching(/^ {2}- rule 3 "typo": when: unknown key "colour" \(did you mean "colorMode"\?\)/),
        expect.stringMatching(/^ {2}- rule 3 "typo": then: needs exactly one of .*\(did you mean "release"\?\)$/),
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
    expect(usage.out).toMatch(/^usage: npm run policy -- check/);
  });

  it('schema --check: exit 0 while policies/policy.schema.json is current', async () => {
    expect(await cli('schema', '--check')).toEqual({ code: 0, out: '' });
  });
});

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { explainJob, policyJsonSchema, SCHEMA_FILE } from '../../../scripts/policy-cli';

const root = path.resolve(__dirname, '../../..');
const examples = path.join(root, 'policies', 'examples');
const run = promisify(execFile);

describe('example policies decide their sample jobs as documented', () => {
  const cases = readdirSync(examples).flatMap((example) =>
    readdirSync(path.join(examples, example, 'jobs')).map((job) => [example, job] as const),
  );
  expect(cases.length).toBeGreaterThanOrEqual(10);

  it.each(cases)('%s: %s', async (example, job) => {
    const jobFile = path.join(examples, example, 'jobs', job);
    const expected = (JSON.parse(readFileSync(jobFile, 'utf8')) as { expected: Record<string, unknown> }).expected;
    const { evaluation } = await explainJob(path.join(examples, example, 'policy.json'), jobFile);
    expect(evaluation.decision).toMatchObject(expected);
  });
});

describe('the policy JSON Schema', () => {
  it('is the one the zod schema generates (npm run policy -- schema)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(policyJsonSchema());
  });
});

describe('npm run policy, as an admin runs it', () => {
  const cli = (...args: string[]) =>
    run(process.execPath, ['--require', 'tsx/cjs', 'scripts/policy-cli.ts', ...args], { cwd: root }).then(
      ({ stdout }) => ({ code: 0, out: stdout }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        out: error.stdout + error.stderr,
      }),
    );

  it('check: exit 0 for a valid policy', async () => {
    const { code, out } = await cli('check', 'policies/examples/school/policy.json');
    expect(code).toBe(0);
    expect(out).toMatch(/policy "School" is valid: 3 rule\(s\)/);
  });

  it('check: exit 1 with errors that name the rule and field', async () => {
    const { code, out } = await cli('check', 'test/fixtures/policy/invalid-policy.json');
    expect(code).toBe(1);
    expect(out).toMatch(/rule 2 "deny without reason": then\.deny\.reason: Invalid input: expected string/);
    expect(out).toMatch(/rule 1 "bad time": when\.time\.from: a time like 07:30/);
    expect(out).toMatch(/timeZone: an IANA time zone/);
  });

  it('explain: prints the path through the rules and the decision', async () => {
    const { code, out } = await cli(
      'explain',
      'policies/examples/school/policy.json',
      'policies/examples/school/jobs/student-colour.json',
    );
    expect(code).toBe(0);
    expect(out).toMatch(/✘ rule "no printing after hours"/);
    expect(out).toMatch(/✔ rule "students: grayscale, duplex, at most 10 copies"/);
    expect(out).toMatch(/Decision: release-with-changes/);
    expect(out).toMatch(/changes: \{"colorMode":"grayscale","duplexMode":"flipOnLongEdge"\}/);
  });

  it('explain: exit 1 for a job file that is not a job', async () => {
    const { code, out } = await cli('explain', 'policies/examples/school/policy.json', 'package.json');
    expect(code).toBe(1);
    expect(out).toMatch(/is not a print job/);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { explainJob, parseUsed, policyJsonSchema, SCHEMA_FILE } from '../../../scripts/policy-cli';

const root = path.resolve(__dirname, '../../..');
const examples = path.join(root, 'policies', 'examples');

describe('example policies decide their sample jobs as documented', () => {
  const cases = readdirSync(examples).flatMap((example) =>
    readdirSync(path.join(examples, example, 'jobs')).map((job) => [example, job] as const),
  );

  it('there are examples for a school and an office, with jobs for every action', () => {
    expect(readdirSync(examples).sort()).toEqual(expect.arrayContaining(['office', 'school']));
    const actions = cases.map(([example, job]) => {
      const file = path.join(examples, example, 'jobs', job);
      return (JSON.parse(readFileSync(file, 'utf8')) as { expected: { action: string } }).expected.action;
    });
    expect(new Set(actions)).toEqual(new Set(['release', 'release-with-changes', 'redirect', 'deny', 'hold']));
  });

  it.each(cases)('%s: %s', async (example, job) => {
    const jobFile = path.join(examples, example, 'jobs', job);
    const expected = (JSON.parse(readFileSync(jobFile, 'utf8')) as { expected: Record<string, unknown> }).expected;
    const explanation = await explainJob(path.join(examples, example, 'policy.json'), jobFile);
    expect(explanation.evaluation.decision).toMatchObject(expected);
    expect(explanation.asExpected).toBe(true);
  });
});

describe('the school quota example decides its sample jobs as documented', () => {
  const school = path.join(examples, 'school');
  const jobs = readdirSync(path.join(school, 'quota-jobs'));

  it.each(jobs)('%s', async (job) => {
    const explanation = await explainJob(path.join(school, 'quotas.json'), path.join(school, 'quota-jobs', job));
    expect(explanation.asExpected).toBe(true);
  });

  it('denies colour at the limit with where the student stands, and still releases black and white', async () => {
    const explain = (job: string) => explainJob(path.join(school, 'quotas.json'), path.join(school, 'quota-jobs', job));
    expect((await explain('student-colour.json')).evaluation.decision).toEqual({
      action: 'deny',
      rule: 'students: colour quota',
      reason: 'You have used 200 of 200 colour pages this term (Autumn 2026); black-and-white printing is still open.',
    });
    expect((await explain('student-grayscale-at-colour-limit.json')).evaluation.decision.action).toBe('release');
  });

  it('--used overrides the job file (here: room left, so the colour job is released)', async () => {
    const file = path.join(school, 'quota-jobs', 'student-colour.json');
    const explanation = await explainJob(path.join(school, 'quotas.json'), file, undefined, { 'colour-pages': 150 });
    expect(explanation.evaluation.decision).toMatchObject({ action: 'release', rule: 'students' });
    expect(explanation.lines.join('\n')).toContain('used 150 of 200 this term (Autumn 2026), this job 2');
  });
});

describe('explain --used', () => {
  it('parses quota=n, and says what is wrong with anything else', async () => {
    expect(parseUsed(['colour-pages=200', 'jobs=3'])).toEqual({ 'colour-pages': 200, jobs: 3 });
    expect(() => parseUsed(['colour-pages=lots'])).toThrow(
      '--used "colour-pages=lots" is not <quota>=<whole number>, e.g. --used colour-pages=200',
    );
    const school = path.join(examples, 'school');
    await expect(
      explainJob(path.join(school, 'quotas.json'), path.join(school, 'quota-jobs', 'student-colour.json'), undefined, {
        'colour-page': 1,
      }),
    ).rejects.toThrow('--used colour-page: the policy declares no quota "colour-page" (did you mean colour-pages?)');
  });
});

describe('the policy JSON Schema', () => {
  it('is the one the zod schema generates (npm run policy -- schema)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(policyJsonSchema());
  });

  it('describes the conditions and actions, so editors can complete them', () => {
    const schema = JSON.parse(policyJsonSchema()) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['name', 'timeZone', 'shadowMode', 'rules', 'default']),
    );
    const text = policyJsonSchema();
    for (const key of ['releaseWithChanges', 'expiresInMinutes', 'documentSize', 'colorMode', 'plugin'])
      expect(text).toContain(`"${key}"`);
  });
});

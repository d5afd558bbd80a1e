import { z } from 'zod';
import { issueText, issuesText } from '../../../src/config/zod-issues';

const failure = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('expected a failure');
  return result.error;
};

describe('zod issues as text', () => {
  const schema = z.object({ rules: z.array(z.object({ name: z.string().min(1, 'a name is required') })) });

  it('says where (the dotted path) and what', () => {
    expect(issuesText(failure(schema, { rules: [{ name: 'a' }, { name: '' }] }))).toEqual([
      'rules.1.name: a name is required',
    ]);
  });

  it('names the value itself when the issue has no path', () => {
    const error = failure(z.string(), 5);
    expect(issuesText(error)[0]).toMatch(/^value: /);
    expect(issuesText(error, { whole: 'body' })[0]).toMatch(/^body: /);
  });

  it('takes a separator and a way to name paths', () => {
    expect(issueText({ path: ['TENANT_ID'], message: 'is required' }, { separator: ' ' })).toBe(
      'TENANT_ID is required',
    );
    expect(
      issueText(
        { path: ['rules', 0, 'when'], message: 'expected a list' },
        { where: (path) => `rule ${Number(path[1]) + 1}` },
      ),
    ).toBe('rule 1: expected a list');
  });

  it('lists every issue in order', () => {
    const error = failure(z.object({ a: z.string(), b: z.number() }), {});
    expect(issuesText(error).map((line) => line.split(':')[0])).toEqual(['a', 'b']);
  });
});

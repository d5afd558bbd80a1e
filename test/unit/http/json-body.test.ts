import { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { firstIssue, readJsonBody } from '../../../src/http/json-body';

const post = (body: string) =>
  new HttpRequest({ method: 'POST', url: 'https://app.example/api/x', body: { string: body } });

const schema = z.strictObject({ taskIds: z.array(z.string().regex(/^\d+$/, 'digits only')).min(1), pin: z.string() });

describe('readJsonBody', () => {
  it('gives the data when the body is JSON that fits the schema', async () => {
    expect(await readJsonBody(post('{"taskIds":["1","2"],"pin":"x"}'), schema, { maxBytes: 100 })).toEqual({
      ok: true,
      data: { taskIds: ['1', '2'], pin: 'x' },
    });
  });

  it('answers 413 for a body over the cap, before parsing it', async () => {
    const read = await readJsonBody(post(`{"pin":"${'x'.repeat(200)}"}`), schema, { maxBytes: 100 });
    expect(read).toMatchObject({
      ok: false,
      response: { status: 413, jsonBody: { error: { code: 'payload_too_large' } } },
    });
  });

  it.each(['', '{not json', '{"pin":'])('answers 400 invalid_json for %j, without quoting it', async (body) => {
    const read = await readJsonBody(post(body), schema, { maxBytes: 100 });
    expect(read).toEqual({
      ok: false,
      response: { status: 400, jsonBody: { error: { code: 'invalid_json', message: 'The body is not valid JSON.' } } },
    });
  });

  it('answers 400 invalid_request with every issue by default', async () => {
    const read = await readJsonBody(post('{"taskIds":["1","a"]}'), schema, { maxBytes: 100 });
    if (read.ok) throw new Error('expected a refusal');
    expect(read.response.status).toBe(400);
    expect(read.response.jsonBody).toEqual({
      error: { code: 'invalid_request', message: expect.stringMatching(/^taskIds\.1: digits only; pin: /) },
    });
  });

  it('takes the code and the reason it is told', async () => {
    const read = await readJsonBody(post('[]'), schema, {
      maxBytes: 100,
      invalidCode: 'invalid_notification',
      explain: firstIssue,
    });
    expect(read).toMatchObject({
      ok: false,
      response: { status: 400, jsonBody: { error: { code: 'invalid_notification', message: /^body: / } } },
    });
    const fixed = await readJsonBody(post('{}'), schema, { maxBytes: 100, explain: () => 'Send { "pin" }.' });
    expect(fixed).toMatchObject({ ok: false, response: { jsonBody: { error: { message: 'Send { "pin" }.' } } } });
  });

  it('keeps the first issue short', () => {
    const long = z.object({ a: z.string().min(1, 'x'.repeat(500)) }).safeParse({ a: '' });
    if (long.success) throw new Error('expected a failure');
    expect(firstIssue(long.error)).toHaveLength(200);
  });
});

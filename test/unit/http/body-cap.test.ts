import { HttpRequest } from '@azure/functions';
import { declaredLength, withBodyCap } from '../../../src/http/body-cap';
import { readBodyWithLimit } from '../../../src/http/read-body';

const post = (body: string, headers: Record<string, string> = {}) =>
  new HttpRequest({ method: 'POST', url: 'https://app.example/api/x', headers, body: { string: body } });

describe('withBodyCap', () => {
  const seen: string[] = [];
  const handler = withBodyCap(10, async (request: HttpRequest) => {
    const read = await readBodyWithLimit(request.body, 10);
    seen.push(read.ok ? read.bytes.toString('utf8') : '(over)');
    return { status: 200, jsonBody: { query: request.query.get('q'), method: request.method } };
  });

  it('hands a body within the cap on, already read, with the rest of the request intact', async () => {
    const request = new HttpRequest({
      method: 'POST',
      url: 'https://app.example/api/x?q=1',
      body: { string: '{"a":1}' },
    });
    expect(await handler(request, undefined)).toMatchObject({ status: 200, jsonBody: { query: '1', method: 'POST' } });
    expect(seen.pop()).toBe('{"a":1}');
  });

  it('answers 413 for a body over the cap (declared or not), 400 for a Content-Length that is not a number', async () => {
    expect(await handler(post('x'.repeat(11)), undefined)).toMatchObject({
      status: 413,
      jsonBody: { error: { code: 'payload_too_large' } },
    });
    expect(await handler(post('x', { 'content-length': '11' }), undefined)).toMatchObject({ status: 413 });
    expect(await handler(post('x', { 'content-length': '1e3' }), undefined)).toMatchObject({ status: 400 });
    expect(seen).toEqual([]); // the handler never ran
  });

  it('reads Content-Length strictly', () => {
    expect([declaredLength(null), declaredLength('12'), declaredLength('-1'), declaredLength('0x10')]).toEqual([
      undefined,
      12,
      'invalid',
      'invalid',
    ]);
  });
});

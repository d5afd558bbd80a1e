import { GraphError } from '@microsoft/microsoft-graph-client';
import { classifyGraphError, parseRetryAfter } from '../../../src/graph/graph-errors';
import { graphError } from '../../support/fake-print-api';

describe('classifyGraphError: what the processor does about each Graph error', () => {
  it.each([
    [404, 'not-found'],
    [401, 'forbidden'],
    [403, 'forbidden'],
    [429, 'throttled'],
    [503, 'throttled'],
    [504, 'throttled'],
    [400, 'conflict'],
    [409, 'conflict'],
    [412, 'conflict'],
    [500, 'transient'],
    [502, 'transient'],
    [418, 'transient'],
  ])('status %i is %s', (status, kind) => {
    expect(classifyGraphError(graphError(status))).toMatchObject({ kind, status });
  });

  it('network errors, timeouts and anything that is not a Graph error with a status are transient', () => {
    expect(classifyGraphError(new Error('ECONNRESET'))).toEqual({ kind: 'transient', message: 'ECONNRESET' });
    expect(classifyGraphError('boom')).toEqual({ kind: 'transient', message: 'boom' });
    expect(classifyGraphError(new GraphError(-1, 'no status'))).toMatchObject({ kind: 'transient' });
    expect(classifyGraphError(new GraphError(0, 'no status'))).toMatchObject({ kind: 'transient' });
  });

  it('keeps the code and message, at most 500 characters, and the Retry-After of a throttle', () => {
    const long = new GraphError(403, 'x'.repeat(1000));
    long.code = 'Authorization_RequestDenied';
    const failure = classifyGraphError(long);
    expect(failure.message.startsWith('Authorization_RequestDenied: xxx')).toBe(true);
    expect(failure.message).toHaveLength(500);
    expect(classifyGraphError(graphError(429, { retryAfter: '7' }))).toMatchObject({ retryAfterSeconds: 7 });
    expect(classifyGraphError(graphError(503))).toMatchObject({ kind: 'throttled', retryAfterSeconds: undefined });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');

  it('reads seconds, fractional seconds and an HTTP date', () => {
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('0.25', now)).toBe(0.25);
    expect(parseRetryAfter('Wed, 02 Dec 2026 12:01:30 GMT', now)).toBe(90);
  });

  it('never waits less than nothing: a negative number or a past date is 0', () => {
    expect(parseRetryAfter('-5', now)).toBe(0);
    expect(parseRetryAfter('Wed, 02 Dec 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('junk and absence are undefined (the caller decides), never NaN', () => {
    for (const junk of ['soon', 'Infinity', '1e999', '', null, undefined])
      expect(parseRetryAfter(junk as string | null | undefined, now)).toBeUndefined();
  });

  it('leaves long values as they are: the processor compares them with its own caps', () => {
    // handleFailure defers beyond maxRetryAfterSeconds, up to maxDeferrals (see process-task.test.ts).
    expect(parseRetryAfter('86400', now)).toBe(86400);
  });
});

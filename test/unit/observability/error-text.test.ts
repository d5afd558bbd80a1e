import { describeError, errorText } from '../../../src/observability/log';

describe('errorText', () => {
  it("is an error's message", () => {
    expect(errorText(new Error('the table is gone'))).toBe('the table is gone');
    expect(errorText(new TypeError('not a function'))).toBe('not a function');
  });

  it('turns anything else thrown into a string', () => {
    expect(errorText('plain text')).toBe('plain text');
    expect(errorText(404)).toBe('404');
    expect(errorText(undefined)).toBe('undefined');
    expect(errorText(null)).toBe('null');
  });

  it('cuts to the given length, and only when asked', () => {
    const long = new Error('x'.repeat(500));
    expect(errorText(long, 300)).toHaveLength(300);
    expect(errorText(long)).toHaveLength(500);
    expect(errorText('short', 300)).toBe('short');
  });

  it('is the text describeError logs', () => {
    const error = Object.assign(new Error('conflict'), { statusCode: 409, code: 'EntityAlreadyExists' });
    expect(describeError(error)).toEqual({
      error: errorText(error),
      errorName: 'Error',
      errorCode: 'EntityAlreadyExists',
      statusCode: 409,
    });
    expect(describeError('odd')).toEqual({ error: 'odd' });
  });
});

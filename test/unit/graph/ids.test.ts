import {
  GUID_PATTERN,
  isGuid,
  isSafeSegment,
  parseJobUrl,
  parseTaskResource,
  SAFE_SEGMENT_PATTERN,
} from '../../../src/graph/ids';

const TD = '3203656e-6069-4e10-8147-d25290b00a3c';
const PRINTER = '016b5565-3bbf-4067-b9ff-4d68167eb1a6';

describe('print resource ids', () => {
  it('reads the definition and task from a notification resource', () => {
    expect(parseTaskResource(`print/taskDefinitions/${TD}/tasks/d036638b-1272-4bba-9227-732463823ed3`)).toEqual({
      taskDefinitionId: TD,
      taskId: 'd036638b-1272-4bba-9227-732463823ed3',
    });
    expect(parseTaskResource(`/print/taskDefinitions/${TD}/tasks/5`)).toEqual({ taskDefinitionId: TD, taskId: '5' });
  });

  it.each([
    `print/taskDefinitions/${TD}/tasks/`,
    `print/taskDefinitions/${TD}/tasks/a/b`,
    `print/taskDefinitions/${TD}/tasks/a.b`,
    `print/taskDefinitions/${TD}/tasks/%2e%2e`,
    `print/taskDefinitions/${TD}/tasks/${'a'.repeat(129)}`,
    `https://graph.microsoft.com/v1.0/print/taskDefinitions/${TD}/tasks/1`,
    `print/printers/${PRINTER}/jobs/1`,
  ])('refuses %s', (resource) => {
    expect(parseTaskResource(resource)).toBeUndefined();
  });

  it('reads printer and numeric job ids from parentUrl on any Graph host', () => {
    for (const host of [
      'https://graph.microsoft.com/v1.0',
      'https://graph.microsoft.us/beta',
      'https://127.0.0.1:8443/v1.0',
    ]) {
      expect(parseJobUrl(`${host}/print/printers/${PRINTER}/jobs/44353`)).toEqual({
        printerId: PRINTER,
        jobId: '44353',
      });
    }
  });

  it.each([
    'not a url',
    `https://graph.microsoft.com/v1.0/print/printers/not-a-guid/jobs/1`,
    `https://g/v1.0/print/printers/${PRINTER}/jobs/1/documents`,
    `https://g/v1.0/print/printers/${PRINTER}/jobs/..`,
  ])('refuses parentUrl %s', (url) => {
    expect(parseJobUrl(url)).toBeUndefined();
  });

  it('knows a GUID in either case and nothing else', () => {
    expect(isGuid(TD)).toBe(true);
    expect(isGuid(TD.toUpperCase())).toBe(true);
    for (const value of [`${TD}0`, `{${TD}}`, TD.replace(/-/g, ''), TD.replace('3', 'g'), ` ${TD}`, ''])
      expect(isGuid(value)).toBe(false);
    expect(GUID_PATTERN.test(PRINTER)).toBe(true);
  });

  it('knows a safe path segment: 1 to 128 letters, digits and hyphens', () => {
    for (const value of ['5', '44353', 'd036638b-1272-4bba-9227-732463823ed3', 'A'.repeat(128)])
      expect(isSafeSegment(value)).toBe(true);
    for (const value of ['', 'a'.repeat(129), '..', 'a/b', 'a%2fb', 'a.b', 'a?b', 'a b', 'a_b'])
      expect(isSafeSegment(value)).toBe(false);
    expect(SAFE_SEGMENT_PATTERN.test('a-b')).toBe(true);
  });
});

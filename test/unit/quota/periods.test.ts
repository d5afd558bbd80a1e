import fc from 'fast-check';
import { parseIsoDate, periodAt, termKey } from '../../../src/quota/periods';

const at = (iso: string) => new Date(iso);

describe('quota periods in the policy time zone', () => {
  it('a day in London is 23 hours long when the clocks go forward, 25 when they go back', () => {
    expect(periodAt({ every: 'day' }, at('2026-03-29T12:00:00Z'), 'Europe/London')).toEqual({
      key: '2026-03-29',
      label: 'today',
      start: '2026-03-29T00:00:00.000Z',
      end: '2026-03-29T23:00:00.000Z',
    });
    const autumn = periodAt({ every: 'day' }, at('2026-10-25T12:00:00Z'), 'Europe/London')!;
    expect([autumn.start, autumn.end]).toEqual(['2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z']);
  });

  it('a day follows the local date, not UTC (late evening in New York is still today there)', () => {
    expect(periodAt({ every: 'day' }, at('2026-12-03T03:00:00Z'), 'America/New_York')?.key).toBe('2026-12-02');
    expect(periodAt({ every: 'day' }, at('2026-12-02T15:00:00Z'), 'Pacific/Kiritimati')?.key).toBe('2026-12-03');
  });

  it('where the clocks skip midnight (Santiago), the day starts at 01:00', () => {
    const day = periodAt({ every: 'day' }, at('2026-09-06T12:00:00Z'), 'America/Santiago')!;
    expect([day.start, day.end]).toEqual(['2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z']);
  });

  it('ISO weeks start on Monday and belong to the year of their Thursday', () => {
    expect(periodAt({ every: 'week' }, at('2027-01-01T12:00:00Z'), 'UTC')).toEqual({
      key: '2026-W53',
      label: 'this week',
      start: '2026-12-28T00:00:00.000Z',
      end: '2027-01-04T00:00:00.000Z',
    });
    expect(periodAt({ every: 'week' }, at('2025-12-29T00:00:00Z'), 'UTC')?.key).toBe('2026-W01');
    // 00:30 on Monday 30 March 2026 in London (BST): the new week began at 23:00 UTC.
    const week = periodAt({ every: 'week' }, at('2026-03-29T23:30:00Z'), 'Europe/London')!;
    expect([week.key, week.start, week.end]).toEqual([
      '2026-W14',
      '2026-03-29T23:00:00.000Z',
      '2026-04-05T23:00:00.000Z',
    ]);
  });

  it('months cross the year end and daylight saving time in local time', () => {
    expect(periodAt({ every: 'month' }, at('2026-12-31T23:30:00Z'), 'Europe/Berlin')).toMatchObject({
      key: '2027-01',
      start: '2026-12-31T23:00:00.000Z',
      end: '2027-01-31T23:00:00.000Z',
    });
    expect(periodAt({ every: 'month' }, at('2026-10-31T23:30:00Z'), 'Europe/London')).toMatchObject({
      key: '2026-10',
      label: 'this month',
      start: '2026-09-30T23:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
    });
  });

  const terms = {
    terms: [
      { name: 'Autumn 2026', start: '2026-09-01', end: '2026-12-18' },
      { name: 'Spring 2027', start: '2027-01-05', end: '2027-03-26' },
    ],
  };

  it('a term runs from its first to its last day, both included; outside every term there is no period', () => {
    expect(periodAt(terms, at('2026-12-19T00:30:00Z'), 'Europe/London')).toBeUndefined();
    expect(periodAt(terms, at('2026-12-19T00:30:00Z'), 'America/New_York')).toEqual({
      key: 'term:autumn-2026',
      label: 'this term (Autumn 2026)',
      start: '2026-09-01T04:00:00.000Z',
      end: '2026-12-19T05:00:00.000Z',
    });
    expect(periodAt(terms, at('2027-01-05T00:00:00Z'), 'Europe/London')?.key).toBe('term:spring-2027');
    expect(periodAt(terms, at('2026-08-31T22:59:59Z'), 'Europe/London')).toBeUndefined();
    expect(periodAt(terms, at('2026-08-31T23:00:00Z'), 'Europe/London')?.key).toBe('term:autumn-2026');
  });

  it('term keys and dates', () => {
    expect(termKey('  Autumn 2026 (Year 7) ')).toBe('term:autumn-2026-year-7');
    expect(parseIsoDate('2028-02-29')).toEqual({ year: 2028, month: 2, day: 29 });
    expect(parseIsoDate('2026-02-29')).toBeUndefined();
    expect(parseIsoDate('2026-9-1')).toBeUndefined();
  });

  it('property: every instant lies in its own period, and the period just before ends where it starts', () => {
    const zones = [
      'UTC',
      'Europe/London',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kolkata',
      'America/Santiago',
    ];
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2020-01-01'), max: new Date('2035-12-31'), noInvalidDate: true }),
        fc.constantFrom(...zones),
        fc.constantFrom('day' as const, 'week' as const, 'month' as const),
        (instant, zone, every) => {
          const period = periodAt({ every }, instant, zone)!;
          const start = Date.parse(period.start);
          expect(start).toBeLessThanOrEqual(instant.getTime());
          expect(Date.parse(period.end)).toBeGreaterThan(instant.getTime());
          expect(periodAt({ every }, new Date(start - 1), zone)!.end).toBe(period.start);
          expect(periodAt({ every }, new Date(start), zone)!.key).toBe(period.key);
        },
      ),
      { numRuns: 100 },
    );
  });
});

import type { PeriodWindow, QuotaPeriod, QuotaTerm } from './quota-model';
import { zonedFormatters } from '../config/zoned-formatters';

/**
 * Quota periods in the policy's IANA time zone: local calendar days, ISO weeks (Monday first),
 * months and named terms. Boundaries are local midnights turned into instants with Intl, so a
 * period that crosses a daylight saving change is 23 or 25 hours longer or shorter, as it should be.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** A calendar date with no time zone: arithmetic runs on UTC dates, which have no DST. */
interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatter = zonedFormatters({
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hourCycle: 'h23',
});

/** The local wall-clock time of an instant, as if it were UTC (for the offset and the date). */
function wallClock(instant: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(new Date(instant));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
}

function localDateOf(instant: number, timeZone: string): LocalDate {
  const wall = new Date(wallClock(instant, timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

const utcOf = (date: LocalDate) => Date.UTC(date.year, date.month - 1, date.day);
const fromUtc = (ms: number): LocalDate => {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
};
const addDays = (date: LocalDate, days: number) => fromUtc(utcOf(date) + days * DAY_MS);
const pad = (n: number, width = 2) => String(n).padStart(width, '0');
export const isoDate = (date: LocalDate) => `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`;

/**
 * The first instant of a local date. Midnight's offset is the one before or after any single
 * transition within a day of it, so both are tried and the earliest instant on that date wins
 * (where a transition skips midnight, the day starts at 01:00).
 */
export function startOfLocalDay(date: LocalDate, timeZone: string): number {
  const guess = utcOf(date);
  const offsets = new Set([guess - DAY_MS, guess, guess + DAY_MS].map((t) => wallClock(t, timeZone) - t));
  const candidates = [...offsets]
    .map((offset) => guess - offset)
    .filter((t) => utcOf(localDateOf(t, timeZone)) === guess)
    .sort((a, b) => a - b);
  return candidates[0] ?? guess - (wallClock(guess, timeZone) - guess);
}

/** Parses YYYY-MM-DD, or undefined when it is not a real date (2026-02-30). */
export function parseIsoDate(text: string): LocalDate | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  return isoDate(fromUtc(utcOf(date))) === text ? date : undefined;
}

/** A term's storage key: "term:" and its name in lower case with dashes ("Autumn 2026" → "term:autumn-2026"). */
export const termKey = (name: string) =>
  `term:${
    name
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'term'
  }`;

function window(key: string, label: string, from: LocalDate, to: LocalDate, timeZone: string): PeriodWindow {
  return {
    key,
    label,
    start: new Date(startOfLocalDay(from, timeZone)).toISOString(),
    end: new Date(startOfLocalDay(to, timeZone)).toISOString(),
  };
}

/** ISO 8601 week: Monday first; week 1 is the week with the year's first Thursday. */
function isoWeek(date: LocalDate): { year: number; week: number; monday: LocalDate } {
  const weekday = (new Date(utcOf(date)).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const monday = addDays(date, -weekday);
  const thursday = addDays(monday, 3);
  const week = Math.floor((utcOf(thursday) - Date.UTC(thursday.year, 0, 1)) / (7 * DAY_MS)) + 1;
  return { year: thursday.year, week, monday };
}

function termAt(terms: readonly QuotaTerm[], today: LocalDate): QuotaTerm | undefined {
  const day = isoDate(today); // YYYY-MM-DD compares as text
  return terms.find((term) => term.start <= day && day <= term.end);
}

/**
 * The period of a quota that contains `instant`, in `timeZone`; undefined outside every term of a
 * term quota (the quota does not apply then). Dates of terms must be valid (the schema checks).
 */
export function periodAt(period: QuotaPeriod, instant: Date, timeZone: string): PeriodWindow | undefined {
  const today = localDateOf(instant.getTime(), timeZone);
  if ('terms' in period) {
    const term = termAt(period.terms, today);
    if (!term) return undefined;
    const start = parseIsoDate(term.start);
    const end = parseIsoDate(term.end);
    if (!start || !end) throw new Error(`Term "${term.name}" has an invalid date: ${term.start} to ${term.end}`);
    return window(termKey(term.name), `this term (${term.name})`, start, addDays(end, 1), timeZone);
  }
  switch (period.every) {
    case 'day':
      return window(isoDate(today), 'today', today, addDays(today, 1), timeZone);
    case 'week': {
      const { year, week, monday } = isoWeek(today);
      return window(`${pad(year, 4)}-W${pad(week)}`, 'this week', monday, addDays(monday, 7), timeZone);
    }
    case 'month': {
      const first = { year: today.year, month: today.month, day: 1 };
      const next =
        today.month === 12 ? { year: today.year + 1, month: 1, day: 1 } : { ...first, month: today.month + 1 };
      return window(`${pad(today.year, 4)}-${pad(today.month)}`, 'this month', first, next, timeZone);
    }
  }
}

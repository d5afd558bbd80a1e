import { zonedFormatters } from '../../config/zoned-formatters';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const formatter = zonedFormatters({ weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** Whether `timeZone` is an IANA zone this Node.js knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Weekday and minutes since midnight of an instant, in an IANA time zone. */
export function localTime(instant: Date, timeZone: string): { day: string; minutes: number } {
  const parts = formatter(timeZone).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = part('weekday').toLowerCase().slice(0, 3);
  return { day, minutes: Number(part('hour')) * 60 + Number(part('minute')) };
}

/** "tue 09:45": a local time as the explain output shows it. */
export function describeLocalTime(instant: Date, timeZone: string): string {
  const { day, minutes } = localTime(instant, timeZone);
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${day} ${hh}:${mm} in ${timeZone}`;
}

export const toMinutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/**
 * Whether an instant falls in a weekly window: `from` inclusive, `to` exclusive. `to` earlier than
 * `from` crosses midnight, and then the day named is the day the window starts (Friday 22:00 to
 * 06:00 includes Saturday 05:00). Local wall-clock time, so daylight saving time is followed.
 */
export function inTimeWindow(
  instant: Date,
  window: { days?: string[]; from?: string; to?: string },
  timeZone: string,
): boolean {
  const { day, minutes } = localTime(instant, timeZone);
  const from = window.from ? toMinutes(window.from) : 0;
  const to = window.to ? toMinutes(window.to) : 24 * 60;
  const days = window.days;
  if (from <= to) return (!days || days.includes(day)) && minutes >= from && minutes < to;
  // Crosses midnight: late part on a listed day, early part on the day after a listed day.
  const yesterday = DAYS[(DAYS.indexOf(day as (typeof DAYS)[number]) + 6) % 7]!;
  return ((!days || days.includes(day)) && minutes >= from) || ((!days || days.includes(yesterday)) && minutes < to);
}

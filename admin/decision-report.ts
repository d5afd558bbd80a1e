import { odata, type TableClient } from '@azure/data-tables';
import { auditRecordFromEntity, type AuditEntity, type AuditRecord } from '../src/audit/audit-log';
import { isNotFound } from '../src/storage/not-found';

export interface DecisionReport {
  /** The first and last instant counted, as ISO times. */
  from: string;
  to: string;
  /** The period as the admin gave it, e.g. "2026-11-01 to 2026-11-30 (UTC, both days included)". */
  period: string;
  total: number;
  byRule: Record<string, number>;
  byAction: Record<string, number>;
  byOutcome: Record<string, number>;
  /** By printer name (the name recorded at decision time; the printer id for records without one). */
  byPrinter: Record<string, number>;
  /** By user principal name. */
  byUser: Record<string, number>;
  /** Anything the reader should know about the figures (e.g. printer names that could not be looked up). */
  notes?: string[];
}

/** Looks up the names of printers whose records carry none (the sandbox's Graph); unknown ids are left out. */
export type PrinterNames = (printerIds: string[]) => Promise<Record<string, string>>;

/** An inclusive period: both instants are counted. */
export interface ReportPeriod {
  from: Date;
  to: Date;
  label: string;
}

const DAY_MS = 86_400_000;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Thrown for a bad --from, --to or --time-zone: the message echoes the value. */
export class PeriodError extends Error {}

/** A time zone the runtime knows (IANA name, e.g. Europe/Berlin), or a PeriodError echoing it. */
export function checkTimeZone(timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    throw new PeriodError(
      `--time-zone "${timeZone}" is not a time zone; give an IANA name such as Europe/Berlin or UTC.`,
    );
  }
}

/** The offset of `timeZone` from UTC at `instant`, in ms (positive east of Greenwich). */
function offsetMs(instant: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The instant a calendar day starts in `timeZone` (00:00 there). */
function startOfDay(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  let instant = wall - offsetMs(wall, timeZone);
  instant = wall - offsetMs(instant, timeZone); // again, across a daylight-saving change
  return instant;
}

/** A --from/--to value: a date (a whole day in the time zone) or an ISO date and time. */
function parseBound(flag: '--from' | '--to', text: string, timeZone: string): { start: number; end: number } {
  const date = DATE_ONLY.exec(text.trim());
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const check = new Date(Date.UTC(year, month - 1, day));
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
      throw new PeriodError(`${flag} "${text}" is not a date; give a date such as 2026-11-30.`);
    const start = startOfDay(year, month, day, timeZone);
    const next = new Date(Date.UTC(year, month - 1, day + 1));
    return {
      start,
      end: startOfDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone) - 1,
    };
  }
  // A date and time must say its offset (Z or +01:00), so it means one instant.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text.trim())) {
    const instant = Date.parse(text.trim());
    if (!Number.isNaN(instant)) return { start: instant, end: instant };
  }
  throw new PeriodError(
    `${flag} "${text}" is not a date; give a date such as 2026-11-30 (a whole day) or a time with its offset, ` +
      'such as 2026-11-30T17:00:00Z.',
  );
}

/**
 * The period a report covers. Dates are whole days in `timeZone` (UTC unless given), and both ends are
 * included: `--to 2026-11-30` counts all of the 30th. Without --to, up to now; without --from, the 7 days
 * before --to. `from` after `to` is refused.
 */
export function reportPeriod(
  options: { from?: string; to?: string; timeZone?: string },
  now: Date = new Date(),
): ReportPeriod {
  const timeZone = checkTimeZone(options.timeZone ?? 'UTC');
  const to = options.to !== undefined ? parseBound('--to', options.to, timeZone).end : now.getTime();
  const from = options.from !== undefined ? parseBound('--from', options.from, timeZone).start : to - 7 * DAY_MS + 1;
  if (from > to)
    throw new PeriodError(
      `--from ${options.from ?? new Date(from).toISOString()} is after --to ${options.to ?? 'now'}: give the earlier one first.`,
    );
  const show = (flag: string | undefined, instant: number) => flag ?? new Date(instant).toISOString();
  const wholeDays = [options.from, options.to].some((v) => v !== undefined && DATE_ONLY.test(v.trim()));
  return {
    from: new Date(from),
    to: new Date(to),
    label:
      `${show(options.from, from)} to ${options.to ?? 'now'}` + (wholeDays ? ` (${timeZone}, both days included)` : ''),
  };
}

/** The audit table's partitions (UTC days of receipt) that may hold decisions made in the period. */
function partitions(from: Date, to: Date): string[] {
  const out: string[] = [];
  // A task received just before midnight may be decided after it: start a day early.
  const first = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()) - DAY_MS;
  for (let d = first; d <= to.getTime(); d += DAY_MS) out.push(new Date(d).toISOString().slice(0, 10));
  return out;
}

/** The entities, or none when the table does not exist yet (no decision was ever written). */
async function* tableOrNothing<T>(entities: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* entities;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** The audit records of decisions made in the period (with their policy contexts), in the table's order. */
export async function* auditRecordsIn(
  table: TableClient,
  period: Pick<ReportPeriod, 'from' | 'to'>,
): AsyncIterable<AuditRecord> {
  for (const day of partitions(period.from, period.to)) {
    const entities = table.listEntities<AuditEntity>({ queryOptions: { filter: odata`PartitionKey eq ${day}` } });
    for await (const entity of tableOrNothing(entities)) {
      const record = auditRecordFromEntity(entity);
      const decidedAt = Date.parse(record.decidedAt);
      if (decidedAt >= period.from.getTime() && decidedAt <= period.to.getTime()) yield record;
    }
  }
}

const bump = (counts: Record<string, number>, key: string | undefined) => {
  const k = key || '(unknown)';
  counts[k] = (counts[k] ?? 0) + 1;
};

/**
 * Reads the audit table (one partition per day) and counts the decisions made in the period. Printers are
 * named by the name recorded at decision time (a record without one takes the name another record of the same
 * printer has, else `lookUp`'s, else shows the id); two printers with one name are told apart by id.
 * Pending records (decided, not yet acted on) are counted under their outcome like the rest.
 */
export async function decisionReport(
  table: TableClient,
  period: Pick<ReportPeriod, 'from' | 'to'> & { label?: string },
  lookUp?: PrinterNames,
): Promise<DecisionReport> {
  const { from, to } = period;
  const report: DecisionReport = {
    from: from.toISOString(),
    to: to.toISOString(),
    period: period.label ?? `${from.toISOString()} to ${to.toISOString()}`,
    total: 0,
    byRule: {},
    byAction: {},
    byOutcome: {},
    byPrinter: {},
    byUser: {},
  };
  const printerCounts = new Map<string, number>();
  const printerNames = new Map<string, string>();
  for (const day of partitions(from, to)) {
    const entities = table.listEntities<{ record: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${day}` },
    });
    for await (const entity of tableOrNothing(entities)) {
      const record = JSON.parse(entity.record) as AuditRecord;
      if (record.printerName) printerNames.set(record.printerId, record.printerName);
      const decidedAt = Date.parse(record.decidedAt);
      if (decidedAt < from.getTime() || decidedAt > to.getTime()) continue;
      report.total++;
      bump(report.byRule, record.rule);
      bump(report.byAction, record.action);
      bump(report.byOutcome, record.outcome);
      printerCounts.set(record.printerId, (printerCounts.get(record.printerId) ?? 0) + 1);
      bump(report.byUser, record.userPrincipalName);
    }
  }
  const unnamed = [...printerCounts.keys()].filter((id) => id && !printerNames.has(id));
  if (lookUp && unnamed.length) {
    try {
      for (const [id, name] of Object.entries(await lookUp(unnamed))) printerNames.set(id, name);
    } catch (error) {
      report.notes = [
        `${unnamed.length} printer(s) are shown by id: their names could not be looked up (${(error as Error).message.split('\n')[0]}).`,
      ];
    }
  }
  const nameCount = new Map<string, number>();
  for (const id of printerCounts.keys()) {
    const name = printerNames.get(id);
    if (name) nameCount.set(name, (nameCount.get(name) ?? 0) + 1);
  }
  for (const [id, count] of printerCounts) {
    const name = printerNames.get(id);
    const label = !name ? id || '(unknown)' : nameCount.get(name)! > 1 ? `${name} (${id})` : name;
    report.byPrinter[label] = (report.byPrinter[label] ?? 0) + count;
  }
  return report;
}

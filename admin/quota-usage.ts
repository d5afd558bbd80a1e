import type { AdminAction, UsageCounter, UsageStore } from '../src/quota/quota-model';

/**
 * Quota usage for people: the report's "Quota usage" part (by user and by group, per quota and period)
 * and the tables `npm run quota` prints. Reads the usage store only; groups are the object ids the
 * charges were counted through (no Graph call).
 */
export interface UserUsage {
  quota: string;
  period: string;
  user: string;
  used: number;
  reserved: number;
  topUp: number;
  /** The quota's base limit, when a charge has told the store. */
  limit?: number;
}

export interface GroupUsage {
  quota: string;
  period: string;
  group: string;
  users: number;
  used: number;
  reserved: number;
}

export interface QuotaUsage {
  byUser: UserUsage[];
  byGroup: GroupUsage[];
}

const userOf = (counter: UsageCounter) => counter.userPrincipalName ?? counter.userKey;

export function userUsage(counter: UsageCounter): UserUsage {
  return {
    quota: counter.quota,
    period: counter.periodKey,
    user: userOf(counter),
    used: counter.confirmed,
    reserved: counter.reserved,
    topUp: counter.topUp,
    ...(counter.limit !== undefined ? { limit: counter.limit } : {}),
  };
}

/** Usage by user and by group, per quota and period; undefined when no usage was ever counted. */
export async function quotaUsage(store: Pick<UsageStore, 'list'>): Promise<QuotaUsage | undefined> {
  const counters = await store.list();
  if (counters.length === 0) return undefined;
  const groups = new Map<string, GroupUsage>();
  for (const counter of counters)
    for (const group of counter.viaGroups ?? []) {
      const id = JSON.stringify([counter.quota, counter.periodKey, group]);
      const row = groups.get(id) ?? {
        quota: counter.quota,
        period: counter.periodKey,
        group,
        users: 0,
        used: 0,
        reserved: 0,
      };
      row.users++;
      row.used += counter.confirmed;
      row.reserved += counter.reserved;
      groups.set(id, row);
    }
  const order = (a: { quota: string; period: string }, b: { quota: string; period: string }) =>
    a.quota.localeCompare(b.quota) || a.period.localeCompare(b.period);
  return {
    byUser: counters.map(userUsage).sort((a, b) => order(a, b) || b.used - a.used || a.user.localeCompare(b.user)),
    byGroup: [...groups.values()].sort((a, b) => order(a, b) || b.used - a.used || a.group.localeCompare(b.group)),
  };
}

/** Rows as aligned columns under a header (numbers right-aligned). */
export function columns(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number'));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

export function formatUserUsage(rows: UserUsage[]): string {
  return columns(
    ['user', 'quota', 'period', 'used', 'reserved', 'top-up', 'limit'],
    rows.map((r) => [r.user, r.quota, r.period, r.used, r.reserved, r.topUp, r.limit ?? '?']),
  );
}

export function formatQuotaUsage(usage: QuotaUsage, bold: (text: string) => string = (t) => t): string {
  const parts = [bold('Quota usage by user'), formatUserUsage(usage.byUser)];
  if (usage.byGroup.length)
    parts.push(
      bold('Quota usage by group'),
      columns(
        ['group', 'quota', 'period', 'users', 'used', 'reserved'],
        usage.byGroup.map((g) => [g.group, g.quota, g.period, g.users, g.used, g.reserved]),
      ),
    );
  return parts.join('\n\n');
}

export function formatAdminActions(actions: AdminAction[]): string {
  return columns(
    ['at', 'who', 'action', 'user', 'quota', 'period', 'amount', 'reason'],
    actions.map((a) => [
      a.at.replace(/\.\d+Z$/, 'Z'),
      a.who,
      a.action,
      a.userPrincipalName ?? a.userKey ?? '(every user)',
      a.quota,
      a.periodKey,
      a.amount ?? '',
      a.reason ?? '',
    ]),
  );
}

import type { PolicyContext } from '../decision';
import type { ConditionTrace } from '../trace';
import { bytes, type Condition } from './policy-schema';
import { describeLocalTime, inTimeWindow } from './time-window';
import { MAX_MATCHED_LENGTH } from './regex-safety';

export interface EvaluationEnvironment {
  timeZone: string;
  /** Runs a named plug-in condition with its time limit; throws PluginFailure when it fails. */
  runPlugin(name: string, context: PolicyContext): Promise<boolean>;
}

const patterns = new Map<string, RegExp>();
/** `*` is a wildcard; matching ignores case (UPNs, printer names, content types). */
function wildcard(pattern: string): RegExp {
  let regex = patterns.get(pattern);
  if (!regex) {
    regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
    patterns.set(pattern, regex);
  }
  return regex;
}
const matchesAny = (value: string | undefined, list: string[]) => !!value && list.some((p) => wildcard(p).test(value));
const inRange = (value: number | undefined, min?: number, max?: number) =>
  value !== undefined && (min === undefined || value >= min) && (max === undefined || value <= max);

// Checked last: they cost a Graph call or run someone else's code.
const COSTLY = new Set(['printers', 'location', 'groups', 'plugin', 'quota']);

type Check = [key: string, run: () => Promise<boolean> | boolean];

/**
 * Whether a condition holds for a job. Every key present must hold, so the order of checks does
 * not change the result: what the job itself says is checked first, Graph look-ups (printer,
 * groups) and plug-ins last, stopping at the first that fails. Each check is added to `trace`.
 */
export async function holds(
  condition: Condition,
  context: PolicyContext,
  env: EvaluationEnvironment,
  trace: ConditionTrace[],
  depth = 0,
): Promise<boolean> {
  const record = (name: string, result: boolean, detail?: string) => {
    trace.push({ condition: name, holds: result, depth, ...(detail ? { detail } : {}) });
    return result;
  };
  // A combination is recorded before its parts, so the explanation reads top-down.
  const combination = async (name: string, evaluate: () => Promise<boolean>) => {
    const entry: ConditionTrace = { condition: name, holds: false, depth };
    trace.push(entry);
    entry.holds = await evaluate();
    return entry.holds;
  };
  const inner = (part: Condition) => holds(part, context, env, trace, depth + 1);
  const { job } = context;
  const checks: Check[] = [];

  if (condition.users) {
    const { include, exclude } = condition.users;
    const upn = job.owner.userPrincipalName;
    checks.push([
      'users',
      () =>
        record(
          'users',
          (!include || matchesAny(upn, include)) && !(exclude && matchesAny(upn, exclude)),
          upn ?? 'no UPN',
        ),
    ]);
  }
  if (condition.groups) {
    const { include = [], exclude = [] } = condition.groups;
    checks.push([
      'groups',
      async () => {
        const member = await context.memberOf([...include, ...exclude]);
        const result =
          (include.length === 0 || include.some((g) => member.has(g))) && !exclude.some((g) => member.has(g));
        return record('groups', result, `member of ${[...member].join(', ') || 'none of them'}`);
      },
    ]);
  }
  if (condition.printers) {
    const { ids, names } = condition.printers;
    checks.push([
      'printers',
      async () => {
        // An id match needs no look-up; the display name does.
        if (ids?.some((id) => id.toLowerCase() === job.printerId.toLowerCase()))
          return record('printers', true, job.printerId);
        if (!names) return record('printers', false, job.printerId);
        const printer = await context.printer();
        return record('printers', matchesAny(printer.displayName, names), printer.displayName ?? 'no display name');
      },
    ]);
  }
  if (condition.location) {
    const wanted = condition.location;
    checks.push([
      'location',
      async () => {
        const location = (await context.printer()).location ?? {};
        const result =
          (!wanted.site || matchesAny(location.site, wanted.site)) &&
          (!wanted.building || matchesAny(location.building, wanted.building)) &&
          (!wanted.floor || matchesAny(location.floor, wanted.floor));
        const where = [`site ${location.site ?? '?'}`, `building ${location.building ?? '?'}`];
        return record('location', result, [...where, `floor ${location.floor ?? '?'}`].join(', '));
      },
    ]);
  }
  if (condition.documentSize) {
    const { min, max } = condition.documentSize;
    const size = job.document?.sizeBytes;
    checks.push([
      'documentSize',
      () =>
        record(
          'documentSize',
          inRange(size, min === undefined ? undefined : bytes(min), max === undefined ? undefined : bytes(max)),
          size === undefined ? 'size unknown' : `${size} bytes`,
        ),
    ]);
  }
  if (condition.contentType) {
    const types = condition.contentType;
    const type = job.document?.contentType;
    checks.push(['contentType', () => record('contentType', matchesAny(type, types), type ?? 'type unknown')]);
  }
  if (condition.documentName) {
    // Checked for catastrophic backtracking when the policy was loaded (regex-safety.ts); the cut
    // to a bounded length bounds what the allowed (at most quadratic) expressions can cost.
    const pattern = new RegExp(condition.documentName, 'i');
    const name = (job.document?.name ?? '').slice(0, MAX_MATCHED_LENGTH);
    checks.push(['documentName', () => record('documentName', pattern.test(name), name || 'no name')]);
  }
  if (condition.copies) {
    const { min, max } = condition.copies;
    const copies = job.configuration.copies ?? 1; // Graph leaves copies out for the default, one
    checks.push(['copies', () => record('copies', inRange(copies, min, max), String(copies))]);
  }
  if (condition.colorMode) {
    const modes: string[] = condition.colorMode;
    const mode = job.configuration.colorMode ?? 'auto'; // unspecified: the printer decides
    checks.push(['colorMode', () => record('colorMode', modes.includes(mode), mode)]);
  }
  if (condition.duplex !== undefined) {
    const wanted = condition.duplex;
    const mode = job.configuration.duplexMode;
    const duplex = !!mode && mode !== 'oneSided';
    checks.push(['duplex', () => record('duplex', duplex === wanted, mode ?? 'oneSided (unspecified)')]);
  }
  if (condition.mediaSize) {
    const sizes = condition.mediaSize;
    const size = job.configuration.mediaSize;
    checks.push(['mediaSize', () => record('mediaSize', matchesAny(size, sizes), size ?? 'unspecified')]);
  }
  if (condition.time) {
    const window = condition.time;
    const zone = window.timeZone ?? env.timeZone;
    checks.push([
      'time',
      () => record('time', inTimeWindow(context.now, window, zone), describeLocalTime(context.now, zone)),
    ]);
  }
  if (condition.all) {
    const parts = condition.all;
    checks.push([
      'all',
      () =>
        combination('all', async () => {
          for (const part of parts) if (!(await inner(part))) return false;
          return true;
        }),
    ]);
  }
  if (condition.any) {
    const parts = condition.any;
    checks.push([
      'any',
      () =>
        combination('any', async () => {
          for (const part of parts) if (await inner(part)) return true;
          return false;
        }),
    ]);
  }
  if (condition.not) {
    const part = condition.not;
    checks.push(['not', () => combination('not', async () => !(await inner(part)))]);
  }
  if (condition.plugin) {
    const name = condition.plugin;
    checks.push(['plugin', async () => record(`plugin ${name}`, await env.runPlugin(name, context))]);
  }

  if (condition.quota) {
    const { name, state } = condition.quota;
    checks.push([
      'quota',
      async () => {
        // Throws when usage cannot be read: a quota is never taken as "not reached" by default.
        const standing = await context.quota(name);
        const label = `quota ${name} ${state}`;
        if (!standing) return record(label, false, 'does not apply to this owner now');
        const detail = `used ${standing.used} of ${standing.limit} ${standing.period.label}, this job ${standing.cost}`;
        return record(label, state === 'reached' ? standing.reached : standing.wouldExceed, detail);
      },
    ]);
  }

  const ordered = [...checks.filter(([key]) => !COSTLY.has(key)), ...checks.filter(([key]) => COSTLY.has(key))];
  for (const [, check] of ordered) if (!(await check())) return false;
  return true;
}

/** The plug-in condition names a condition uses, to check them against the plug-in module. */
export function pluginNames(condition: Condition, found = new Set<string>()): Set<string> {
  if (condition.plugin) found.add(condition.plugin);
  for (const part of [...(condition.all ?? []), ...(condition.any ?? []), ...(condition.not ? [condition.not] : [])])
    pluginNames(part, found);
  return found;
}

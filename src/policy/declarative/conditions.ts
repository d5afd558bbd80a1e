import type { PolicyContext } from '../decision';
import { bytes, type Condition } from './policy-schema';
import { inTimeWindow } from './time-window';

/** Named conditions a plug-in module may export for rules to use (`{ "plugin": "name" }`). */
export type PluginCondition = (context: PolicyContext) => boolean | Promise<boolean>;

export interface EvaluationEnvironment {
  timeZone: string;
  plugins: Record<string, PluginCondition>;
  /** Runs a plug-in condition with the policy's time limit and fail mode. */
  runPlugin(name: string, condition: PluginCondition, context: PolicyContext): Promise<boolean>;
}

/** One line of the explanation: which condition was checked and whether it held. */
export interface ConditionTrace {
  condition: string;
  holds: boolean;
  detail?: string;
}

const wildcard = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
const matchesAny = (value: string | undefined, patterns: string[]) =>
  !!value && patterns.some((p) => wildcard(p).test(value));
const inRange = (value: number | undefined, min?: number, max?: number) =>
  value !== undefined && (min === undefined || value >= min) && (max === undefined || value <= max);

/**
 * Whether a condition holds for a job. Every key present must hold; Graph look-ups (printer,
 * groups) happen only for conditions that need them. Each key tested is added to `trace`.
 */
export async function holds(
  condition: Condition,
  context: PolicyContext,
  env: EvaluationEnvironment,
  trace: ConditionTrace[],
): Promise<boolean> {
  const record = (name: string, result: boolean, detail?: string) => {
    trace.push({ condition: name, holds: result, ...(detail ? { detail } : {}) });
    return result;
  };
  const { job } = context;
  const checks: [string, () => Promise<boolean> | boolean][] = [];

  if (condition.users) {
    const { include, exclude } = condition.users;
    const upn = job.owner.userPrincipalName;
    checks.push([
      'users',
      () => record('users', (!include || matchesAny(upn, include)) && !(exclude && matchesAny(upn, exclude)), upn),
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
        if (ids?.some((id) => id.toLowerCase() === job.printerId.toLowerCase()))
          return record('printers', true, job.printerId);
        if (!names) return record('printers', false, job.printerId);
        const printer = await context.printer();
        return record('printers', matchesAny(printer.displayName, names), printer.displayName);
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
        return record('location', result, [location.site, location.building, location.floor].filter(Boolean).join('/'));
      },
    ]);
  }
  if (condition.documentSize) {
    const { min, max } = condition.documentSize;
    checks.push([
      'documentSize',
      () =>
        record(
          'documentSize',
          inRange(
            job.document?.sizeBytes,
            min === undefined ? undefined : bytes(min),
            max === undefined ? undefined : bytes(max),
          ),
          `${job.document?.sizeBytes ?? '?'} bytes`,
        ),
    ]);
  }
  if (condition.contentType) {
    const types = condition.contentType;
    checks.push([
      'contentType',
      () => record('contentType', matchesAny(job.document?.contentType, types), job.document?.contentType),
    ]);
  }
  if (condition.documentName) {
    const pattern = new RegExp(condition.documentName, 'i');
    checks.push([
      'documentName',
      () => record('documentName', pattern.test(job.document?.name ?? ''), job.document?.name),
    ]);
  }
  if (condition.copies) {
    const { min, max } = condition.copies;
    checks.push([
      'copies',
      () => record('copies', inRange(job.configuration.copies ?? 1, min, max), String(job.configuration.copies ?? 1)),
    ]);
  }
  if (condition.colorMode) {
    const modes = condition.colorMode;
    checks.push([
      'colorMode',
      () =>
        record(
          'colorMode',
          modes.includes((job.configuration.colorMode ?? 'auto') as never),
          job.configuration.colorMode,
        ),
    ]);
  }
  if (condition.duplex !== undefined) {
    const wanted = condition.duplex;
    const duplex = !!job.configuration.duplexMode && job.configuration.duplexMode !== 'oneSided';
    checks.push(['duplex', () => record('duplex', duplex === wanted, job.configuration.duplexMode)]);
  }
  if (condition.mediaSize) {
    const sizes = condition.mediaSize;
    checks.push([
      'mediaSize',
      () => record('mediaSize', matchesAny(job.configuration.mediaSize, sizes), job.configuration.mediaSize),
    ]);
  }
  if (condition.time) {
    const window = condition.time;
    const zone = window.timeZone ?? env.timeZone;
    checks.push([
      'time',
      () => record('time', inTimeWindow(context.now, window, zone), `${context.now.toISOString()} in ${zone}`),
    ]);
  }
  if (condition.all) {
    const parts = condition.all;
    checks.push([
      'all',
      async () => {
        for (const part of parts) if (!(await holds(part, context, env, trace))) return record('all', false);
        return record('all', true);
      },
    ]);
  }
  if (condition.any) {
    const parts = condition.any;
    checks.push([
      'any',
      async () => {
        for (const part of parts) if (await holds(part, context, env, trace)) return record('any', true);
        return record('any', false);
      },
    ]);
  }
  if (condition.not) {
    const inner = condition.not;
    checks.push(['not', async () => record('not', !(await holds(inner, context, env, trace)))]);
  }
  if (condition.plugin) {
    const name = condition.plugin;
    checks.push([
      'plugin',
      async () => {
        const plugin = env.plugins[name];
        if (!plugin) throw new Error(`The policy uses plug-in condition "${name}", which no plug-in exports`);
        return record(`plugin ${name}`, await env.runPlugin(name, plugin, context));
      },
    ]);
  }

  // All keys must hold, so order does not change the result: check what the job itself says first,
  // and what needs a Graph call (printer, groups) or a plug-in last, stopping at the first miss.
  const costly = new Set(['printers', 'location', 'groups', 'plugin']);
  const ordered = [...checks.filter(([key]) => !costly.has(key)), ...checks.filter(([key]) => costly.has(key))];
  for (const [, check] of ordered) if (!(await check())) return false;
  return true;
}

/**
 * `npm run doctor`'s findings: one line per check, ✔ right, ⚠ worth a look, ✘ broken, each failing
 * line with the fix (a command, a place in the Azure portal, or a Bicep parameter).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  status: CheckStatus;
  name: string;
  detail: string;
  /** What to do; present on every ⚠ and ✘. */
  fix?: string;
}

/** The doctor could not check anything useful: configuration missing or sign-in failed (exit code 3). */
export class DoctorCannotRun extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'DoctorCannotRun';
  }
}

export const EXIT_CODES = { ok: 0, warnings: 1, failed: 2, cannotRun: 3 } as const;

export const ok = (name: string, detail: string): DoctorCheck => ({ status: 'ok', name, detail });
export const warn = (name: string, detail: string, fix: string): DoctorCheck => ({ status: 'warn', name, detail, fix });
export const fail = (name: string, detail: string, fix: string): DoctorCheck => ({ status: 'fail', name, detail, fix });

export function exitCodeOf(checks: readonly DoctorCheck[]): number {
  if (checks.some((c) => c.status === 'fail')) return EXIT_CODES.failed;
  if (checks.some((c) => c.status === 'warn')) return EXIT_CODES.warnings;
  return EXIT_CODES.ok;
}

const MARK: Record<CheckStatus, string> = { ok: '✔', warn: '⚠', fail: '✘' };

/** The human report: a line per check (its fix indented below it) and a summary. */
export function formatReport(checks: readonly DoctorCheck[]): string[] {
  const width = Math.min(34, Math.max(...checks.map((c) => c.name.length), 0));
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${MARK[check.status]} ${check.name.padEnd(width)}  ${check.detail}`);
    if (check.fix) lines.push(`  ${' '.repeat(width)}  fix: ${check.fix}`);
  }
  const count = (status: CheckStatus) => checks.filter((c) => c.status === status).length;
  lines.push('');
  lines.push(`${count('ok')} ok, ${count('warn')} warning(s), ${count('fail')} failed.`);
  return lines;
}

/** `--json`: the checks and the exit code, nothing else on stdout. */
export function jsonReport(checks: readonly DoctorCheck[], exitCode = exitCodeOf(checks)): string {
  return JSON.stringify({ exitCode, checks }, null, 2);
}

/** Never show a function key: `code=` values in URLs become `***`. */
export function redactKeys(url: string): string {
  return url.replace(/([?&]code=)[^&#]*/gi, '$1***');
}

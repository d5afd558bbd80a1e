/**
 * Audit records as JSON lines (one record per line): what `npm run policy -- replay --export` writes and
 * `--file` reads, so an admin can replay a period offline.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditRecord } from '../../src/audit/audit-log';
import { InputError } from './check-policy';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The problem with one line's record, or undefined when replay can use it. */
function recordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'expected an audit record (a JSON object)';
  if (typeof value.decidedAt !== 'string' || Number.isNaN(Date.parse(value.decidedAt)))
    return `decidedAt: expected an ISO time, got ${JSON.stringify(value.decidedAt)}`;
  if (typeof value.jobId !== 'string') return `jobId: expected a string, got ${JSON.stringify(value.jobId)}`;
  if (!isObject(value.decision) || typeof value.decision.action !== 'string' || typeof value.decision.rule !== 'string')
    return `decision: expected { "action", "rule", … }, got ${JSON.stringify(value.decision)?.slice(0, 80)}`;
  if (value.policyContext !== undefined && (!isObject(value.policyContext) || value.policyContext.v !== 1))
    return `policyContext: expected a recorded context with "v": 1, got ${JSON.stringify(value.policyContext)?.slice(0, 80)}`;
  return undefined;
}

/** Every record of a JSON-lines file (blank lines skipped); an InputError naming each bad line (up to 10). */
export function readAuditJsonl(file: string): AuditRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      `${file}: ${code === 'ENOENT' ? `no such file (looked for ${path.resolve(file)})` : `cannot be read (${code ?? (error as Error).message})`}`,
    );
  }
  const records: AuditRecord[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push(`line ${index + 1}: not JSON (${(error as Error).message})`);
      return;
    }
    const problem = recordProblem(value);
    if (problem) problems.push(`line ${index + 1}: ${problem}`);
    else records.push(value as AuditRecord);
  });
  if (problems.length > 0)
    throw new InputError(
      `${file} is not a file of audit records, one JSON object a line:\n${problems
        .slice(0, 10)
        .map((p) => `  - ${p}`)
        .join('\n')}${problems.length > 10 ? `\n  … and ${problems.length - 10} more` : ''}`,
    );
  return records;
}

export function writeAuditJsonl(file: string, records: AuditRecord[]): void {
  writeFileSync(file, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
}

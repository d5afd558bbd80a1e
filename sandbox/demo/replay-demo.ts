/**
 * The last part of `npm run demo`: the demo's own history (its sandbox's audit table) replayed
 * through a stricter policy, in process, with `npm run policy -- replay`'s code, quotas
 * re-accumulated in time order; prints the table of what would have changed.
 */
import path from 'node:path';
import { auditRecordsIn } from '../../admin/decision-report';
import { checkPolicy } from '../../admin/policy/check-policy';
import { formatReplay, replay, type ReplayResult } from '../../admin/policy/replay';
import type { AuditRecord } from '../../src/audit/audit-log';
import { parseSettings } from '../../src/config/load-settings';
import { declarativePolicy } from '../../src/policy/load-policy';
import { createTableClient } from '../../src/storage/storage-clients';
import type { Sandbox } from '../sandbox';

/** Students 3 colour copies a month (not 5 a term), at most 2 copies, documents over 10 MB denied. */
export const STRICTER_POLICY = path.join(__dirname, 'stricter-policy.json');

/** Replays every decision the sandbox made since `since` through the stricter policy and prints what would change. */
export async function replayDemoHistory(
  sandbox: Sandbox,
  since: Date,
  out: (line: string) => void,
): Promise<ReplayResult> {
  const checked = checkPolicy(STRICTER_POLICY);
  if (!checked.ok || !checked.policy) throw new Error(checked.lines.join('\n'));
  const policy = declarativePolicy(checked.policy, { timeoutMs: 5000, failMode: 'fail-safe' });
  const settings = parseSettings(sandbox.settings);
  const audit = createTableClient(settings, settings.RELEASE_GATE_AUDIT_TABLE);
  const records: AuditRecord[] = [];
  for await (const record of auditRecordsIn(audit, { from: since, to: new Date() })) records.push(record);
  // Quota usage is re-accumulated by replay itself (the stricter policy declares a quota).
  const result = await replay(policy, records, { timeZone: checked.policy.timeZone, sample: 2 });
  out(formatReplay(result, "this demo's decisions"));
  return result;
}

/**
 * Writes policies/examples/school/history.jsonl: a few hundred decisions of November 2026, generated with a
 * fixed seed and decided by the school example policy, for `npm run policy -- replay`'s README example.
 * `npx tsx scripts/example-history.ts` (a unit test checks the file is what this writes).
 */
import path from 'node:path';
import { writeAuditJsonl } from '../admin/policy/audit-jsonl';
import { checkPolicy } from '../admin/policy/check-policy';
import { generateHistory } from '../admin/policy/generated-history';
import { declarativePolicy } from '../src/policy/load-policy';
import type { AuditRecord } from '../src/audit/audit-log';

const SCHOOL = path.resolve(__dirname, '..', 'policies', 'examples', 'school');
export const EXAMPLE_HISTORY_FILE = path.join(SCHOOL, 'history.jsonl');

export async function exampleHistory(): Promise<AuditRecord[]> {
  const checked = checkPolicy(path.join(SCHOOL, 'policy.json'));
  if (!checked.policy) throw new Error(checked.lines.join('\n'));
  const policy = declarativePolicy(checked.policy, { timeoutMs: 5000, failMode: 'fail-safe' });
  return generateHistory({ policy, count: 200, firstDay: '2026-11-02', days: 26, seed: 17 });
}

if (require.main === module)
  void exampleHistory().then((records) => {
    writeAuditJsonl(EXAMPLE_HISTORY_FILE, records);
    console.log(`Wrote ${records.length} records to ${path.relative(process.cwd(), EXAMPLE_HISTORY_FILE)}`);
  });

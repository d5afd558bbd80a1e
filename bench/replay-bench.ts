/**
 * Replay speed: a generated month of 100,000 decisions (admin/policy/generated-history.ts: students, staff
 * and visitors on four printers, colour and duplex mixes, school hours with some evenings and weekends),
 * decided by the school example policy, replayed through its stricter version. Target: a month of
 * 100,000 decisions in under 30 s on 2 cores. `npx tsx bench/replay-bench.ts [--quick] [--records N]`;
 * the last line is `BENCH_RESULT {json}`.
 */
import path from 'node:path';
import { checkPolicy } from '../admin/policy/check-policy';
import { generateHistory } from '../admin/policy/generated-history';
import { replay } from '../admin/policy/replay';
import { declarativePolicy } from '../src/policy/load-policy';
import { round } from './stats';

export interface ReplayBenchResult {
  records: number;
  seconds: number;
  /** Our CPU time (user + system): on busy shared cores the wall time says more about the neighbours. */
  cpuSeconds: number;
  recordsPerSecond: number;
  changed: number;
  notReplayable: number;
  targetSeconds: number;
}

const SCHOOL = path.resolve(__dirname, '..', 'policies', 'examples', 'school');

function schoolPolicy(file: string) {
  const checked = checkPolicy(path.join(SCHOOL, file));
  if (!checked.policy) throw new Error(checked.lines.join('\n'));
  return declarativePolicy(checked.policy, { timeoutMs: 5000, failMode: 'fail-safe' });
}

export async function benchReplay(options: { quick?: boolean; records?: number } = {}): Promise<ReplayBenchResult> {
  const count = options.records ?? (options.quick ? 20_000 : 100_000);
  const records = await generateHistory({
    policy: schoolPolicy('policy.json'),
    count,
    firstDay: '2026-11-01',
    days: 30,
    seed: 2026,
  });
  const stricter = schoolPolicy('stricter.json');
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await replay(stricter, records, { timeZone: 'Europe/London', sample: 5 });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    records: count,
    seconds: round(seconds),
    cpuSeconds: round((used.user + used.system) / 1e6),
    recordsPerSecond: Math.round(count / seconds),
    changed: result.changed,
    notReplayable: result.notReplayable.total,
    targetSeconds: 30 * (count / 100_000),
  };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const recordsAt = args.indexOf('--records');
  void benchReplay({
    quick: args.includes('--quick'),
    records: recordsAt >= 0 ? Number(args[recordsAt + 1]) : undefined,
  }).then((result) => console.log(`BENCH_RESULT ${JSON.stringify(result)}`));
}

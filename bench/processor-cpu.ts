/**
 * Our own CPU per released task (`process.cpuUsage`, user + system, not wall time): `processTask`
 * on the release path against the fake print API and in-memory stores, so what is measured is the
 * processor's code (claim, journal, policy, records, logging) and not Graph's or Azure Storage's.
 * Target: ≤ 2 ms per task. `npx tsx bench/processor-cpu.ts [--quick] [--tasks N]`; the last line is
 * `BENCH_RESULT {json}` for bench/run.ts. Profile: `node --cpu-prof --import tsx bench/processor-cpu.ts`.
 */
import { createLog } from '../src/observability/log';
import { processTask } from '../src/processor/process-task';
import { processorHarness } from '../test/support/processor-harness';

export interface ProcessorCpuResult {
  tasks: number;
  cpuMsPerTask: number;
  userMsPerTask: number;
  systemMsPerTask: number;
  targetMs: number;
}

export async function benchProcessorCpu(
  options: { quick?: boolean; tasks?: number } = {},
): Promise<ProcessorCpuResult> {
  const count = options.tasks ?? (options.quick ? 1000 : 5000);
  const h = processorHarness();
  h.api.record = false; // the fake's call record would only grow
  const deps = { ...h.deps, log: createLog({ info: () => undefined, warn: () => undefined, error: () => undefined }) };

  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const { message, job } = h.print();
      const result = await processTask(message(), deps);
      if (result.status !== 'acted' || result.outcome !== 'released') throw new Error(`not released: ${job.id}`);
      // Keep the fakes small: what a finished task leaves behind is not the processor's cost.
      h.api.jobs.clear();
      h.api.tasks.clear();
      deps.audit.records.clear();
      deps.tasks.entries.clear();
      deps.claims.rows.clear();
    }
  };
  await run(Math.min(500, count)); // warm-up: JIT, the printer's kind
  const before = process.cpuUsage();
  await run(count);
  const used = process.cpuUsage(before);
  const perTask = (micros: number) => Math.round((micros / 1000 / count) * 1000) / 1000;
  return {
    tasks: count,
    cpuMsPerTask: perTask(used.user + used.system),
    userMsPerTask: perTask(used.user),
    systemMsPerTask: perTask(used.system),
    targetMs: 2,
  };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const tasksArg = argv.indexOf('--tasks');
  void benchProcessorCpu({
    quick: argv.includes('--quick'),
    tasks: tasksArg >= 0 ? Number(argv[tasksArg + 1]) : undefined,
  }).then((result) => {
    console.log(`processor CPU per released task: ${result.cpuMsPerTask} ms (target ≤ ${result.targetMs} ms)`);
    console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
  });
}

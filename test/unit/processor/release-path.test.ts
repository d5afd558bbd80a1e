import { processTask } from '../../../src/processor/process-task';
import type { ProcessorApi } from '../../../src/processor/task-run';
import { processorHarness } from '../../support/processor-harness';

/**
 * The release path's storage round trips, pinned. Each storage call takes 1 ms and each Graph call
 * 1000 ms (fake timers), so when the release reaches Graph the clock reads 1000 × (Graph calls one
 * after another) + (storage waits one after another that no Graph call hides).
 */
const GRAPH_MS = 1000;
const STORAGE_MS = 1;

interface Timed {
  name: string;
  at: number;
}

/** The same object, each async method answering only after `ms` and logging when it was called. */
function slowed<T extends object>(target: T, ms: number, name: string, log: Timed[], only?: string[]): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function' || (only && !only.includes(String(property)))) return value;
      return async (...args: unknown[]) => {
        log.push({ name: `${name}.${String(property)}`, at: Date.now() });
        await new Promise((resolve) => setTimeout(resolve, ms));
        const result = (await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args)) as unknown;
        // A claim hands back a lease whose writes are storage round trips too.
        if (name === 'claims' && result && typeof result === 'object' && 'lease' in result) {
          const attempt = result as { lease: object };
          return { ...attempt, lease: slowed(attempt.lease, ms, 'lease', log, ['renew', 'finish', 'release']) };
        }
        return result;
      };
    },
  });
}

/** Runs `work` to its end under fake timers, jumping from timer to timer. */
async function settle<T>(work: Promise<T>): Promise<T> {
  let done = false;
  void work.finally(() => (done = true)).catch(() => undefined);
  while (!done) await jest.advanceTimersToNextTimerAsync();
  return work;
}

describe('the release path, timed with fake latencies', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('one storage wait before the release reaches Graph, and six storage calls in all', async () => {
    const h = processorHarness();
    const calls: Timed[] = [];
    const { deps } = h;
    const timed = {
      ...deps,
      api: slowed<ProcessorApi>(deps.api, GRAPH_MS, 'graph', calls),
      audit: slowed(deps.audit, STORAGE_MS, 'audit', calls),
      holds: slowed(deps.holds, STORAGE_MS, 'holds', calls),
      tasks: slowed(deps.tasks, STORAGE_MS, 'tasks', calls),
      claims: slowed(deps.claims, STORAGE_MS, 'claims', calls),
      queue: slowed(deps.queue, STORAGE_MS, 'queue', calls),
    };
    await settle(processTask(h.print().message(), timed)); // the printer's kind is read once, then known
    calls.length = 0;

    const started = Date.now();
    const result = await settle(processTask(h.print().message(), timed));
    const ended = Date.now();
    expect(result).toMatchObject({ status: 'acted', outcome: 'released', graphCalls: 2 });

    const release = calls.find((c) => c.name === 'graph.setTaskState')!;
    const beforeRelease = release.at - started;
    expect(Math.floor(beforeRelease / GRAPH_MS)).toBe(1); // the job read
    expect(beforeRelease % GRAPH_MS).toBe(1); // storage waits not hidden behind Graph: the journal
    // After the release: the final record with the task index, then the claim marked done.
    expect((ended - release.at - GRAPH_MS) / STORAGE_MS).toBe(2);
    const storage = calls.filter((c) => !c.name.startsWith('graph.')).map((c) => c.name);
    expect(storage.sort()).toEqual(
      ['claims.acquire', 'audit.write', 'tasks.mark', 'tasks.mark', 'audit.write', 'lease.finish'].sort(),
    );
  });
});

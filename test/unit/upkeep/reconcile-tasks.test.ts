import type { PrintApi } from '../../../src/graph/print-api';
import type { PrintTask } from '../../../src/graph/print-schemas';
import { createLog } from '../../../src/observability/log';
import { reconcileTasks } from '../../../src/upkeep/reconcile-tasks';
import { fakeTaskIndex, fakeTaskQueue } from '../../support/fake-stores';

const DEFINITION = '5a0c0b60-0000-4000-8000-00000000d001';
const TENANT = '5a0c0b60-0000-4000-8000-00000000aaaa';
const PRINTER = '5a0c0b60-0000-4000-8000-00000000f001';

/** Tasks whose notification never came are found by listing the definition's tasks (fake timers move the clock). */
describe('reconcileTasks', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.setSystemTime(new Date('2026-12-02T12:00:00Z'));
  });
  afterEach(() => jest.useRealTimers());

  function setUp() {
    const graphTasks: PrintTask[] = [];
    const api = { listTasks: async () => graphTasks.map((t) => structuredClone(t)) } as unknown as PrintApi;
    const tasks = fakeTaskIndex();
    const queue = fakeTaskQueue();
    const events: Record<string, unknown>[] = [];
    const push = (line: string) => void events.push(JSON.parse(line) as Record<string, unknown>);
    const run = () =>
      reconcileTasks({
        api,
        tasks,
        queue,
        tenantId: TENANT,
        taskDefinitionId: DEFINITION,
        graceMinutes: 5,
        log: createLog({ info: push, warn: push, error: push }),
      });
    const add = (id: string, state: PrintTask['status']['state'] = 'processing') =>
      graphTasks.push({
        id,
        status: { state },
        parentUrl: `https://graph.microsoft.com/v1.0/print/printers/${PRINTER}/jobs/${id}-job`,
      });
    return { add, tasks, queue, events, run };
  }
  const minutes = (n: number) => jest.advanceTimersByTime(n * 60_000);

  it('a processing task nobody told us about: seen first, queued once the grace period is over', async () => {
    const r = setUp();
    r.add('t1');
    r.add('t0', 'completed'); // ended tasks are not ours to chase
    expect(await r.run()).toMatchObject({ processing: 1, waiting: 1, queued: 0 });
    expect(await r.tasks.get(DEFINITION, 't1')).toMatchObject({ status: 'seen' });
    minutes(4);
    expect(await r.run()).toMatchObject({ waiting: 1, queued: 0 });
    minutes(1);
    expect(await r.run()).toMatchObject({ queued: 1 });
    expect(r.queue.sent).toEqual([
      {
        message: expect.objectContaining({
          taskId: 't1',
          printerId: PRINTER,
          jobId: 't1-job',
          source: 'reconciler',
          receivedAt: '2026-12-02T12:00:00.000Z', // the journal key: when we first saw it
        }),
        delaySeconds: undefined,
      },
    ]);
    expect(await r.tasks.get(DEFINITION, 't1')).toMatchObject({ status: 'queued' });
  });

  it('queued or in hand but stalled for 15 minutes: queued again; held: left alone; done but open: a warning', async () => {
    const r = setUp();
    for (const id of ['queued', 'handling', 'held', 'done']) r.add(id);
    const now = new Date();
    await r.tasks.mark(DEFINITION, 'queued', 'queued', now);
    await r.tasks.mark(DEFINITION, 'handling', 'handling', now);
    await r.tasks.mark(DEFINITION, 'held', 'held', now);
    await r.tasks.mark(DEFINITION, 'done', 'done', now, 'released');
    minutes(14);
    expect(await r.run()).toMatchObject({ requeued: 0, handled: 3, held: 1 });
    expect(r.events.filter((e) => e.event === 'reconciler.task-open-after-done')).toHaveLength(1);
    minutes(1);
    expect(await r.run()).toMatchObject({ requeued: 2, held: 1 });
    expect(r.queue.sent.map((s) => s.message.taskId).sort()).toEqual(['handling', 'queued']);
  });
});

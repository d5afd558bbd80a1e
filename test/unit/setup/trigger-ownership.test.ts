import type { PrintApi } from '../../../src/graph/print-api';
import { ensureTaskTrigger } from '../../../admin/setup/ensure-task-trigger';
import { applyTriggerPlan, listTriggerOwnership, planTriggers } from '../../../admin/setup/printer-triggers';
import type { RecordedTrigger, TriggerRecord } from '../../../src/setup/trigger-record';

/** A record kept in memory (the real ones are a table and the app's endpoints, tested end to end). */
function memoryRecord(initial: Omit<RecordedTrigger, 'recordedAt'>[] = [], failAdd = false) {
  const rows: RecordedTrigger[] = initial.map((r) => ({ ...r, recordedAt: '2026-01-01T00:00:00Z' }));
  const record: TriggerRecord = {
    list: async () => [...rows],
    add: async (t) => {
      if (failAdd) throw new Error('storage unavailable');
      rows.push({ ...t, recordedAt: new Date().toISOString() });
    },
    remove: async (printerId, triggerId) => {
      const i = rows.findIndex((r) => r.printerId === printerId && r.triggerId === triggerId);
      if (i >= 0) rows.splice(i, 1);
    },
  };
  return { record, rows };
}

/** Graph's printers and their one trigger each, as List taskTriggers shows them: id and event only. */
function tenant(triggers: Record<string, string | undefined>) {
  const state = { ...triggers };
  let next = 0;
  const api: Pick<PrintApi, 'listPrinters' | 'listTaskTriggers' | 'createTaskTrigger' | 'deleteTaskTrigger'> = {
    listPrinters: async () => Object.keys(state).map((id) => ({ id, displayName: `Printer ${id}` })),
    listTaskTriggers: async (printerId) => (state[printerId] ? [{ id: state[printerId], event: 'jobStarted' }] : []),
    createTaskTrigger: async (printerId) => {
      state[printerId] = `t${++next}`;
      return { id: state[printerId], event: 'jobStarted' };
    },
    deleteTaskTrigger: async (printerId) => {
      delete state[printerId];
    },
  };
  return { api, state };
}

const definition = { id: 'def', url: 'https://graph.example/v1.0/print/taskDefinitions/def' };

describe('task trigger ownership by our record', () => {
  it('reports recorded triggers as ours, any other as another app’s or unknown, and records whose trigger is gone', async () => {
    const { api } = tenant({ a: 'ta', b: 'tb', c: undefined });
    const { record } = memoryRecord([
      { printerId: 'a', triggerId: 'ta', definitionId: 'def' },
      { printerId: 'c', triggerId: 'gone', definitionId: 'def' },
    ]);
    const ownership = await listTriggerOwnership(api, record);
    expect(ownership.printers.map((p) => [p.printerId, p.trigger, p.triggerId])).toEqual([
      ['a', 'ours', 'ta'],
      ['b', 'other', 'tb'],
      ['c', 'none', undefined],
    ]);
    expect(ownership.staleRecords).toEqual([expect.objectContaining({ printerId: 'c', triggerId: 'gone' })]);
    expect((await listTriggerOwnership(api, record, { printerIds: ['B'] })).printers).toEqual([
      { printerId: 'b', displayName: 'Printer b', trigger: 'other', triggerId: 'tb' },
    ]);
  });

  it('teardown removes and forgets only recorded triggers', async () => {
    const { api, state } = tenant({ a: 'ta', b: 'tb' });
    const { record, rows } = memoryRecord([{ printerId: 'a', triggerId: 'ta', definitionId: 'def' }]);
    const { printers } = await listTriggerOwnership(api, record);
    const plan = planTriggers(printers, () => true, true);
    expect(plan.map((p) => p.change)).toEqual(['remove', 'keep']);
    await applyTriggerPlan(api, plan, printers, definition, record);
    expect(state).toEqual({ b: 'tb' });
    expect(rows).toEqual([]);
  });

  it('records each trigger it creates; one it cannot record is removed again and reported', async () => {
    const ok = tenant({ a: undefined });
    const kept = memoryRecord();
    expect(await ensureTaskTrigger(ok.api, 'a', definition, kept.record)).toMatchObject({ status: 'created' });
    expect(kept.rows).toEqual([expect.objectContaining({ printerId: 'a', triggerId: 't1', definitionId: 'def' })]);
    expect(await ensureTaskTrigger(ok.api, 'a', definition, kept.record)).toMatchObject({ status: 'exists' });

    const failing = tenant({ a: undefined });
    await expect(ensureTaskTrigger(failing.api, 'a', definition, memoryRecord([], true).record)).rejects.toThrow(
      /could not record it \(storage unavailable\); removed it again/,
    );
    expect(failing.state).toEqual({});
  });

  it('an unrecorded trigger is a conflict, never replaced', async () => {
    const { api, state } = tenant({ a: 'theirs' });
    expect(await ensureTaskTrigger(api, 'a', definition, memoryRecord().record)).toMatchObject({
      status: 'conflict',
      trigger: { id: 'theirs' },
    });
    expect(state).toEqual({ a: 'theirs' });
  });
});

import type { AuditRecord } from '../../../src/audit/audit-log';
import { auditRecordFromEntity, tableAuditLog } from '../../../src/audit/audit-log';
import type { TableClient } from '@azure/data-tables';
import {
  capRecordedContext,
  contextFromRecorded,
  NotRecordedError,
  RECORDED_LIMITS,
  recordingContext,
} from '../../../src/policy/recorded-context';
import { processTask } from '../../../src/processor/process-task';
import { always, processorHarness } from '../../support/processor-harness';
import { context, PRINTERS } from '../../support/policy-context';

const GROUP_A = '5e6f7a8b-0000-4000-8000-00000000000a';
const GROUP_B = '5e6f7a8b-0000-4000-8000-00000000000b';

describe('the recorded policy context', () => {
  it('keeps the job metadata and only the look-ups the policy made, with their answers', async () => {
    const untouched = recordingContext(context({ groups: [GROUP_A] }));
    expect(untouched.recorded()).not.toHaveProperty('printer');
    expect(untouched.recorded()).not.toHaveProperty('groups');

    const recording = recordingContext(context({ groups: [GROUP_A], name: 'Budget.xlsx' }));
    await recording.context.printer();
    await recording.context.memberOf([GROUP_A, GROUP_B]);
    const recorded = recording.recorded();
    expect(recorded).toMatchObject({
      v: 1,
      decidedAt: '2026-11-24T10:00:00.000Z',
      job: {
        id: '1001',
        owner: { userPrincipalName: 'adele@contoso.example' },
        configuration: { copies: 1, colorMode: 'color' },
        document: { name: 'Budget.xlsx' },
      },
      printer: { displayName: PRINTERS.floor1.displayName, location: { floor: '1' } },
      groups: { [GROUP_A]: true, [GROUP_B]: false },
    });
  });

  it('does not record a look-up that failed (replay then refuses to guess it)', async () => {
    const base = context();
    const recording = recordingContext({ ...base, printer: () => Promise.reject(new Error('throttled')) });
    await expect(recording.context.printer()).rejects.toThrow('throttled');
    expect(recording.recorded()).not.toHaveProperty('printer');
  });

  it('is capped well under the 64 KiB of an Azure Tables string property, however big the job', () => {
    const long = 'x'.repeat(100_000);
    const base = context({ name: long, upn: long });
    const capped = capRecordedContext({
      v: 1,
      decidedAt: base.now.toISOString(),
      job: {
        ...base.job,
        configuration: {
          ...base.job.configuration,
          pageRanges: Array.from({ length: 5000 }, () => ({ start: 1, end: 2 })),
        },
      },
      printer: { id: long, displayName: long, location: { site: long, building: long, floor: long } },
      groups: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`${i}-${long.slice(0, 40)}`, true])),
    });
    const json = JSON.stringify(capped);
    // UTF-16 code units: Tables counts 2 bytes per character, so 32 K characters is the limit.
    expect(json.length).toBeLessThan(16 * 1024);
    expect(capped.job.document!.name).toHaveLength(RECORDED_LIMITS.string);
    expect(capped.job.configuration.pageRanges).toHaveLength(RECORDED_LIMITS.pageRanges);
    expect(Object.keys(capped.groups!)).toHaveLength(RECORDED_LIMITS.groups);
  });

  it('rebuilds a context as of its own time, refusing look-ups that were not recorded', async () => {
    const recording = recordingContext(context({ now: '2026-11-03T21:15:00Z', groups: [GROUP_A] }));
    await recording.context.memberOf([GROUP_A]);
    const rebuilt = contextFromRecorded(recording.recorded());
    expect(rebuilt.context.now.toISOString()).toBe('2026-11-03T21:15:00.000Z');
    expect([...(await rebuilt.context.memberOf([GROUP_A]))]).toEqual([GROUP_A]);
    await expect(rebuilt.context.memberOf([GROUP_B])).rejects.toThrow(NotRecordedError);
    await expect(rebuilt.context.printer()).rejects.toThrow('the printer was not read');
    expect(rebuilt.missing).toEqual([
      `group ${GROUP_B} was not checked when the job was decided`,
      'the printer was not read when the job was decided',
    ]);
  });
});

describe('the audit record', () => {
  it("is journalled with the context the policy decided from, and on a pull queue the policy's own decision", async () => {
    const h = processorHarness({
      policy: {
        name: 'groups',
        async decide(ctx) {
          const members = await ctx.memberOf([GROUP_A]);
          return members.has(GROUP_A)
            ? { action: 'release', rule: 'team' }
            : { action: 'deny', rule: 'no', reason: 'no' };
        },
      },
    });
    h.api.groups.set('0e000000-0000-4000-8000-0000000000a1', new Set([GROUP_A]));
    const { message } = h.print('pullQueue');
    await processTask(message(), h.deps);
    const [record] = [...h.deps.audit.records.values()];
    expect(record).toMatchObject({
      action: 'hold',
      policyDecision: { action: 'release', rule: 'team' },
      policyContext: {
        v: 1,
        groups: { [GROUP_A]: true },
        job: { owner: { userPrincipalName: 'adele@contoso.example' } },
      },
    });
    expect(record!.policyContext).not.toHaveProperty('printer');
  });

  it('keeps the context in its own table column, and reads records written without one', async () => {
    const entities = new Map<string, Record<string, unknown>>();
    const table = {
      createTable: async () => undefined,
      upsertEntity: async (entity: Record<string, unknown>) => void entities.set(String(entity.rowKey), entity),
      getEntity: async (_p: string, rowKey: string) => entities.get(rowKey),
    } as unknown as TableClient;
    const h = processorHarness({ policy: always({ action: 'release', rule: 'ok' }) });
    await processTask(h.print().message(), h.deps);
    const record = [...h.deps.audit.records.values()][0]!;
    const log = tableAuditLog(table);
    await log.write(record);
    const entity = entities.get(record.taskId)!;
    expect(JSON.parse(entity.record as string)).not.toHaveProperty('policyContext');
    expect(JSON.parse(entity.policyContext as string)).toEqual(record.policyContext);
    expect(await log.find(record.receivedAt, record.taskId)).toEqual(record);
    const older: AuditRecord = { ...record, policyContext: undefined };
    delete older.policyContext;
    expect(auditRecordFromEntity({ record: JSON.stringify(older) })).toEqual(older);
  });
});

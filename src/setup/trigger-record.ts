import type { TableClient } from '@azure/data-tables';
import { once } from '../storage/once';
import { appAdminCall } from './app-admin-call';
import { isNotFound } from '../storage/not-found';

/**
 * The record of the task triggers Release Gate created: the only way to tell ours from another app's, because
 * Graph's List/Get taskTriggers show just `id` and `event` (the definition is a relationship no page expands).
 * Kept in the app's own storage account (table `releasegatetriggers`, beside the audit and hold tables), so that
 * set-up, teardown and the doctor on any machine see the same record: the set-up CLI and the doctor reach it
 * through the deployed app (`/api/setup/triggers`, admin key), the app itself through its managed identity.
 * A trigger on a printer that is not in the record is another app's or unknown: reported, never deleted.
 */
export interface RecordedTrigger {
  printerId: string;
  triggerId: string;
  /** Our task definition the trigger points at. */
  definitionId: string;
  recordedAt: string;
}

export interface TriggerRecord {
  list(): Promise<RecordedTrigger[]>;
  add(trigger: Omit<RecordedTrigger, 'recordedAt'>): Promise<void>;
  remove(printerId: string, triggerId: string): Promise<void>;
}

export const TRIGGER_RECORD_TABLE = 'releasegatetriggers';

/** One row per trigger: PartitionKey = printer id (lower case), RowKey = trigger id. */
export function tableTriggerRecord(table: TableClient): TriggerRecord {
  const ensureTable = once(() => table.createTable());
  return {
    async list() {
      await ensureTable();
      const triggers: RecordedTrigger[] = [];
      for await (const row of table.listEntities<{ definitionId: string; recordedAt: string }>())
        triggers.push({
          printerId: row.partitionKey!,
          triggerId: row.rowKey!,
          definitionId: row.definitionId,
          recordedAt: row.recordedAt,
        });
      return triggers;
    },
    async add(trigger) {
      await ensureTable();
      await table.upsertEntity(
        {
          partitionKey: trigger.printerId.toLowerCase(),
          rowKey: trigger.triggerId,
          definitionId: trigger.definitionId,
          recordedAt: new Date().toISOString(),
        },
        'Replace',
      );
    },
    async remove(printerId, triggerId) {
      await ensureTable();
      try {
        await table.deleteEntity(printerId.toLowerCase(), triggerId);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}

/**
 * The same record through the deployed app's admin endpoints, for the set-up CLI and the doctor, which have
 * the app's URL and master key but no access to its storage.
 */
export function appTriggerRecord(functionUrl: string, functionKey?: string): TriggerRecord {
  const admin = appAdminCall(functionUrl, functionKey);
  const call = async (method: string, path = '', body?: unknown): Promise<Response> => {
    const response = await admin(method, `triggers${path}`, body);
    if (!response.ok)
      throw new Error(`${method} ${response.url} answered ${response.status}: ${await response.text()}`);
    return response;
  };
  const item = (printerId: string, triggerId: string) =>
    `/${encodeURIComponent(printerId.toLowerCase())}/${encodeURIComponent(triggerId)}`;
  return {
    async list() {
      const { value } = (await (await call('GET')).json()) as { value: RecordedTrigger[] };
      return value;
    },
    async add(trigger) {
      await call('PUT', item(trigger.printerId, trigger.triggerId), { definitionId: trigger.definitionId });
    },
    async remove(printerId, triggerId) {
      await call('DELETE', item(printerId, triggerId));
    },
  };
}

/** Whether a trigger on a printer is in the record. */
export function isRecorded(record: readonly RecordedTrigger[], printerId: string, triggerId: string): boolean {
  return record.some((r) => r.printerId.toLowerCase() === printerId.toLowerCase() && r.triggerId === triggerId);
}

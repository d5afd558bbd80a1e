import type { TableClient } from '@azure/data-tables';
import { once } from '../storage/once';
import { isNotFound } from '../storage/not-found';

/**
 * What Release Gate knows about each print task, by id: seen by the reconciler, queued, being
 * handled, held, or done. The reconciler uses it to find tasks whose notification never came.
 */
export type TaskIndexStatus = 'seen' | 'queued' | 'handling' | 'held' | 'done';

export interface TaskIndexEntry {
  taskDefinitionId: string;
  taskId: string;
  status: TaskIndexStatus;
  firstSeenAt: string;
  updatedAt: string;
  outcome?: string;
}

export interface TaskIndex {
  get(taskDefinitionId: string, taskId: string): Promise<TaskIndexEntry | undefined>;
  /** Records a status; the first time a task is marked also sets `firstSeenAt`. */
  mark(taskDefinitionId: string, taskId: string, status: TaskIndexStatus, now: Date, outcome?: string): Promise<void>;
}

export function tableTaskIndex(table: TableClient): TaskIndex {
  const ensureTable = once(() => table.createTable());
  const get = async (taskDefinitionId: string, taskId: string) => {
    await ensureTable();
    try {
      const entity = await table.getEntity<Omit<TaskIndexEntry, 'taskDefinitionId' | 'taskId'>>(
        taskDefinitionId.toLowerCase(),
        taskId,
      );
      return {
        taskDefinitionId,
        taskId,
        status: entity.status,
        firstSeenAt: entity.firstSeenAt ?? entity.updatedAt,
        updatedAt: entity.updatedAt,
        ...(entity.outcome ? { outcome: entity.outcome } : {}),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  return {
    get,
    async mark(taskDefinitionId, taskId, status, now, outcome) {
      if (status !== 'seen') {
        // One write on the processor's path: merge the new status in, keeping firstSeenAt if any.
        await ensureTable();
        await table.upsertEntity(
          {
            partitionKey: taskDefinitionId.toLowerCase(),
            rowKey: taskId,
            status,
            updatedAt: now.toISOString(),
            ...(outcome ? { outcome } : {}),
          },
          'Merge',
        );
        return;
      }
      const existing = await get(taskDefinitionId, taskId);
      await table.upsertEntity(
        {
          partitionKey: taskDefinitionId.toLowerCase(),
          rowKey: taskId,
          status,
          firstSeenAt: existing?.firstSeenAt ?? now.toISOString(),
          updatedAt: now.toISOString(),
          ...((outcome ?? existing?.outcome) ? { outcome: outcome ?? existing?.outcome } : {}),
        },
        'Replace',
      );
    },
  };
}

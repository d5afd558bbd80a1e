import type { TableClient } from '@azure/data-tables';
import { once } from '../storage/once';
import { tableKey } from '../storage/table-keys';

/**
 * Which messages were sent (RELEASE_GATE_MESSAGE_TABLE), by message id: a redelivered queue message,
 * or one posted twice by a retried decision, is not sent again. Partitioned by the id's first
 * character so no single partition takes every write.
 */
export interface SentMessages {
  wasSent(id: string): Promise<boolean>;
  /** Records the id as sent; recording one that is already there is not an error. */
  markSent(id: string, at: Date, kind: string): Promise<void>;
}

const keysOf = (id: string) => {
  const rowKey = tableKey(id);
  return { partitionKey: rowKey.slice(0, 1), rowKey };
};

const statusOf = (error: unknown) => (error as { statusCode?: unknown }).statusCode;

export function tableSentMessages(table: TableClient): SentMessages {
  const ensureTable = once(() => table.createTable());
  return {
    async wasSent(id) {
      await ensureTable();
      const { partitionKey, rowKey } = keysOf(id);
      try {
        await table.getEntity(partitionKey, rowKey, { queryOptions: { select: ['sentAt'] } });
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw error;
      }
    },
    async markSent(id, at, kind) {
      await ensureTable();
      try {
        await table.createEntity({ ...keysOf(id), sentAt: at.toISOString(), kind });
      } catch (error) {
        if (statusOf(error) !== 409) throw error; // 409: already recorded
      }
    },
  };
}

/** In memory, for tests. */
export function memorySentMessages(): SentMessages & { ids: Set<string> } {
  const ids = new Set<string>();
  return {
    ids,
    wasSent: async (id) => ids.has(id),
    markSent: async (id) => void ids.add(id),
  };
}

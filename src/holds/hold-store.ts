import { RestError, odata, type TableClient } from '@azure/data-tables';
import type { PrintJobConfigurationChange } from '../graph/print-schemas';
import { once } from '../storage/once';

/**
 * Jobs held for release at a printer: the task stays `processing` while the hold lasts. Partitioned
 * by owner (the release page lists one user's jobs); the expiry timer scans by time.
 */
export interface HeldJob {
  taskDefinitionId: string;
  taskId: string;
  printerId: string;
  jobId: string;
  ownerUpn: string;
  ownerId?: string;
  documentName?: string;
  sizeBytes?: number;
  /** Copies the user asked for: at release they may ask for fewer, never more. */
  copies?: number;
  heldAt: string;
  expiresAt: string;
  onExpiry: 'release' | 'deny';
  rule: string;
  /** Configuration the policy asked to apply when the job is released. */
  releaseConfiguration?: PrintJobConfigurationChange;
  /** The only printers where the policy lets this job come out; unset: any release printer. */
  releaseAt?: string[];
  correlationId: string;
  receivedAt: string;
}

export interface HoldStore {
  /** Records a hold; a second call for the same task keeps the first (redelivery is harmless). */
  add(job: HeldJob): Promise<HeldJob>;
  get(ownerUpn: string, taskId: string): Promise<HeldJob | undefined>;
  listExpired(now: Date, limit: number): Promise<HeldJob[]>;
  listByOwner(ownerUpn: string): Promise<HeldJob[]>;
  /**
   * Takes a held job out of the store for whoever ends it. Only one caller wins (an etag-guarded
   * delete), so a job is released, denied or expired at most once, whatever races.
   */
  claim(ownerUpn: string, taskId: string): Promise<HeldJob | undefined>;
}

const ownerKey = (upn: string) => upn.toLowerCase();

interface HoldEntity {
  partitionKey: string;
  rowKey: string;
  expiresAt: string;
  job: string;
}

export function tableHoldStore(table: TableClient): HoldStore {
  const ensureTable = once(() => table.createTable());
  const status = (error: unknown) => (error instanceof RestError ? error.statusCode : undefined);
  const read = async (ownerUpn: string, taskId: string) => {
    try {
      return await table.getEntity<HoldEntity>(ownerKey(ownerUpn), taskId);
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw error;
    }
  };
  const list = async (filter: string, limit = Number.POSITIVE_INFINITY) => {
    const out: HeldJob[] = [];
    for await (const entity of table.listEntities<HoldEntity>({ queryOptions: { filter } })) {
      out.push(JSON.parse(entity.job) as HeldJob);
      if (out.length >= limit) break;
    }
    return out;
  };

  return {
    async add(job) {
      await ensureTable();
      try {
        await table.createEntity<HoldEntity>({
          partitionKey: ownerKey(job.ownerUpn),
          rowKey: job.taskId,
          expiresAt: job.expiresAt,
          job: JSON.stringify(job),
        });
        return job;
      } catch (error) {
        if (status(error) !== 409) throw error;
        const existing = await read(job.ownerUpn, job.taskId);
        return existing ? (JSON.parse(existing.job) as HeldJob) : job;
      }
    },
    async get(ownerUpn, taskId) {
      await ensureTable();
      const entity = await read(ownerUpn, taskId);
      return entity ? (JSON.parse(entity.job) as HeldJob) : undefined;
    },
    async listExpired(now, limit) {
      await ensureTable();
      return list(odata`expiresAt le ${now.toISOString()}`, limit);
    },
    async listByOwner(ownerUpn) {
      await ensureTable();
      return list(odata`PartitionKey eq ${ownerKey(ownerUpn)}`);
    },
    async claim(ownerUpn, taskId) {
      await ensureTable();
      const entity = await read(ownerUpn, taskId);
      if (!entity) return undefined;
      try {
        await table.deleteEntity(entity.partitionKey, entity.rowKey, { etag: entity.etag });
        return JSON.parse(entity.job) as HeldJob;
      } catch (error) {
        if (status(error) === 404 || status(error) === 412) return undefined; // someone else won
        throw error;
      }
    },
  };
}

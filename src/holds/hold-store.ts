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
   * delete), so a job is released, denied or expired at most once, whatever races. A claim leaves
   * a marker behind (see recoverLostClaims): a caller that dies before acting or putting the job
   * back (`add`) does not lose the hold.
   */
  claim(ownerUpn: string, taskId: string): Promise<HeldJob | undefined>;
  /**
   * Settles claims older than {@link CLAIM_LEASE_MINUTES}: a claimed job whose task is still open
   * (the claimant died between claim and act) is held again; otherwise the marker is dropped.
   * Returns the jobs held again.
   */
  recoverLostClaims(now: Date, taskStillOpen: (job: HeldJob) => Promise<boolean>): Promise<HeldJob[]>;
}

/**
 * Longer than any claimant runs (an HTTP release is cut at 230 s, an expiry run lasts seconds):
 * a claim this old whose task is still open was lost.
 */
export const CLAIM_LEASE_MINUTES = 15;

/** The claim markers' partition: no owner key can be this (owner keys are UPNs or object ids). */
const CLAIMS_PARTITION = '!claims';

interface ClaimEntity {
  partitionKey: string;
  rowKey: string;
  claimedAt: string;
  job: string;
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

  const store: HoldStore = {
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
      // The marker first: a claimant that dies after the delete leaves the job recoverable.
      await table.upsertEntity<ClaimEntity>(
        { partitionKey: CLAIMS_PARTITION, rowKey: taskId, claimedAt: new Date().toISOString(), job: entity.job },
        'Replace',
      );
      try {
        await table.deleteEntity(entity.partitionKey, entity.rowKey, { etag: entity.etag });
        return JSON.parse(entity.job) as HeldJob;
      } catch (error) {
        if (status(error) === 404 || status(error) === 412) return undefined; // someone else won
        throw error;
      }
    },
    async recoverLostClaims(now, taskStillOpen) {
      await ensureTable();
      const before = new Date(now.getTime() - CLAIM_LEASE_MINUTES * 60_000).toISOString();
      const stale = table.listEntities<ClaimEntity>({
        queryOptions: { filter: odata`PartitionKey eq ${CLAIMS_PARTITION} and claimedAt le ${before}` },
      });
      const recovered: HeldJob[] = [];
      for await (const marker of stale) {
        const job = JSON.parse(marker.job) as HeldJob;
        // Put back, unless the job was ended (task closed) or is already back (put back, or a redelivery).
        if ((await taskStillOpen(job)) && !(await store.get(job.ownerUpn, job.taskId))) {
          await store.add(job);
          recovered.push(job);
        }
        await table.deleteEntity(CLAIMS_PARTITION, marker.rowKey, { etag: marker.etag }).catch((error: unknown) => {
          if (status(error) !== 404 && status(error) !== 412) throw error; // re-claimed meanwhile: keep the new one
        });
      }
      return recovered;
    },
  };
  return store;
}

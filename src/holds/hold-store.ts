import { RestError, odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { PrintJobConfigurationChange } from '../graph/print-schemas';
import { once } from '../storage/once';
import { isValidTableKey, userKey, type UserRef } from '../storage/table-keys';

/**
 * Jobs held for release at a printer: the task stays `processing` while the hold lasts. Partitioned
 * by owner (the release page lists one user's jobs); the expiry timer scans by time.
 *
 * The owner is the job's `createdBy`: its object id is the partition key (it never changes and is
 * never reused; a UPN can be renamed, reused, and for every guest contains `#EXT#`, which Azure
 * Tables refuses in a key). A job without an object id is held under its encoded UPN (`userKey`).
 */
export interface HeldJob {
  taskDefinitionId: string;
  taskId: string;
  printerId: string;
  jobId: string;
  /** The owner's UPN when the job was held: for display and logs, never for deciding who owns it. */
  ownerUpn: string;
  /** The owner's object id: whoever releases or deletes the job must have this id. */
  ownerId?: string;
  documentName?: string;
  sizeBytes?: number;
  /** Copies the user asked for: at release they may ask for fewer, never more. */
  copies?: number;
  /**
   * How the user sent it (the job's configuration when it was held), for the release page. Holds
   * stored before these were kept have none: the page then leaves them out.
   */
  colorMode?: string;
  duplexMode?: string;
  mediaSize?: string;
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
  /** The owner's display name, shown to their delegates ("held for Ada Lovelace"). */
  ownerName?: string;
  /**
   * The latest `expiresAt` that "keep longer" may set (the policy's maximum, counted from heldAt).
   * Absent: the job cannot be kept longer.
   */
  keepUntilMax?: string;
  /**
   * How long the hold lasted when first held (minutes): what each "keep longer" adds. Set by the first
   * keep (before it, `expiresAt − heldAt` is that length).
   */
  holdMinutes?: number;
  /** When its owner was warned that this hold expires (for the current expiresAt); cleared when kept longer. */
  warnedAt?: string;
  /** The policy forbids delegation for this job (e.g. a confidential printer): only its owner may release it. */
  noDelegation?: true;
  /** The one colleague the owner handed this job to (who may release it, besides the owner). */
  handedTo?: DelegateRef;
}

/** A colleague, as the directory names them: the object id decides; the rest is for display. */
export interface DelegateRef {
  id: string;
  userPrincipalName?: string;
  displayName?: string;
}

/**
 * Who is asking for their held jobs: a signed-in user (object id from the token, UPN as a hint for
 * holds stored before the upgrade) or, only where no id is known, a UPN alone.
 */
export type HoldOwner = UserRef;
/** A bare string is a UPN alone (callers that know no object id). */
type OwnerArg = HoldOwner | string;
const asOwner = (owner: OwnerArg): HoldOwner => (typeof owner === 'string' ? { userPrincipalName: owner } : owner);

export interface HoldStore {
  /** Records a hold; a second call for the same task keeps the first (redelivery is harmless). */
  add(job: HeldJob): Promise<HeldJob>;
  get(owner: OwnerArg, taskId: string): Promise<HeldJob | undefined>;
  listExpired(now: Date, limit: number): Promise<HeldJob[]>;
  listByOwner(owner: OwnerArg): Promise<HeldJob[]>;
  /**
   * Takes a held job out of the store for whoever ends it. Only one caller wins (an etag-guarded
   * delete), so a job is released, denied or expired at most once, whatever races. A claim leaves
   * a marker behind (see recoverLostClaims): a caller that dies before acting or putting the job
   * back (`add`) does not lose the hold.
   */
  claim(owner: OwnerArg, taskId: string): Promise<HeldJob | undefined>;
  /**
   * Changes a held job in place (keep longer, warned, handed to a colleague): `change` gets the stored
   * hold and returns the new one, or undefined to leave it. Guarded by the entity's etag and retried
   * on a race, so a change never undoes a concurrent one; a claimed (ended) job is not brought back.
   * Returns the stored result, or undefined when the job is not held (any more). The owner, task and
   * printer cannot change.
   */
  update(owner: OwnerArg, taskId: string, change: (held: HeldJob) => HeldJob | undefined): Promise<HeldJob | undefined>;
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

/** Tries of an etag-guarded update that keeps losing races: more means something is wrong. */
const UPDATE_ATTEMPTS = 5;

/** The claim markers' partition: no owner key can be this (owner keys are UPNs or object ids). */
const CLAIMS_PARTITION = '!claims';

interface ClaimEntity {
  partitionKey: string;
  rowKey: string;
  claimedAt: string;
  job: string;
}

/** The owner of a stored hold, as the store keys it. */
export const ownerOf = (held: HeldJob): HoldOwner => ({ id: held.ownerId, userPrincipalName: held.ownerUpn });

/**
 * Whether a stored hold belongs to the asker. With an object id, only the stored owner id counts (a
 * user renamed keeps their jobs; someone given the old UPN gets none). A caller with a UPN alone (a
 * terminal's PIN sign-in, until PINs name the object id) matches on the UPN the job was held under.
 */
export function ownsHold(owner: HoldOwner, held: HeldJob): boolean {
  if (owner.id) return !!held.ownerId && held.ownerId.toLowerCase() === owner.id.toLowerCase();
  return !!owner.userPrincipalName && held.ownerUpn.toLowerCase() === owner.userPrincipalName.toLowerCase();
}

interface HoldEntity {
  partitionKey: string;
  rowKey: string;
  expiresAt: string;
  /** Lower-case UPN, for finding the holds of a caller who knows no object id (a terminal's PIN user). */
  ownerUpn?: string;
  job: string;
}

/**
 * The partitions a caller's holds can be in: their key, and the lower-case raw UPN that holds written
 * before object-id keys used (read only; a hold found there counts only if `ownsHold` says so).
 */
function partitionsOf(owner: HoldOwner): string[] {
  const keys = [userKey(owner)];
  const legacy = owner.userPrincipalName?.toLowerCase();
  if (legacy && isValidTableKey(legacy) && !keys.includes(legacy)) keys.push(legacy);
  return keys;
}

export function tableHoldStore(table: TableClient): HoldStore {
  const ensureTable = once(() => table.createTable());
  const status = (error: unknown) => (error instanceof RestError ? error.statusCode : undefined);
  const parse = (entity: HoldEntity) => JSON.parse(entity.job) as HeldJob;
  const readKey = async (partitionKey: string, taskId: string) => {
    try {
      return await table.getEntity<HoldEntity>(partitionKey, taskId);
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw error;
    }
  };
  const query = async (filter: string, limit = Number.POSITIVE_INFINITY) => {
    const out: TableEntityResult<HoldEntity>[] = [];
    for await (const entity of table.listEntities<HoldEntity>({ queryOptions: { filter } })) {
      out.push(entity);
      if (out.length >= limit) break;
    }
    return out;
  };
  const list = async (filter: string, limit?: number) => (await query(filter, limit)).map(parse);
  /** Where a caller's holds are: their partitions, or (UPN only) the rows held under that UPN. */
  const filtersFor = (owner: HoldOwner) =>
    owner.id
      ? partitionsOf(owner).map((key) => odata`PartitionKey eq ${key}`)
      : [
          odata`ownerUpn eq ${(owner.userPrincipalName ?? '').toLowerCase()}`,
          ...partitionsOf(owner).map((key) => odata`PartitionKey eq ${key}`),
        ];
  /** The caller's own hold of this task, wherever it is stored. */
  const read = async (owner: HoldOwner, taskId: string) => {
    if (owner.id) {
      for (const partitionKey of partitionsOf(owner)) {
        const entity = await readKey(partitionKey, taskId);
        if (entity && ownsHold(owner, parse(entity))) return entity;
      }
      return undefined;
    }
    for (const filter of filtersFor(owner)) {
      const [entity] = await query(`(${filter}) and ${odata`RowKey eq ${taskId}`}`, 1);
      if (entity && ownsHold(owner, parse(entity))) return entity;
    }
    return undefined;
  };

  const store: HoldStore = {
    async add(job) {
      await ensureTable();
      const partitionKey = userKey(ownerOf(job));
      try {
        await table.createEntity<HoldEntity>({
          partitionKey,
          rowKey: job.taskId,
          expiresAt: job.expiresAt,
          ownerUpn: job.ownerUpn.toLowerCase(),
          job: JSON.stringify(job),
        });
        return job;
      } catch (error) {
        if (status(error) !== 409) throw error;
        const existing = await readKey(partitionKey, job.taskId);
        return existing ? parse(existing) : job;
      }
    },
    async get(owner, taskId) {
      await ensureTable();
      const entity = await read(asOwner(owner), taskId);
      return entity ? parse(entity) : undefined;
    },
    async listExpired(now, limit) {
      await ensureTable();
      return list(odata`expiresAt le ${now.toISOString()}`, limit);
    },
    async listByOwner(owner) {
      await ensureTable();
      const found = new Map<string, HeldJob>();
      for (const filter of filtersFor(asOwner(owner)))
        for (const held of await list(filter)) if (ownsHold(asOwner(owner), held)) found.set(held.taskId, held);
      return [...found.values()];
    },
    async claim(owner, taskId) {
      await ensureTable();
      const entity = await read(asOwner(owner), taskId);
      if (!entity) return undefined;
      // The marker first: a claimant that dies after the delete leaves the job recoverable.
      await table.upsertEntity<ClaimEntity>(
        { partitionKey: CLAIMS_PARTITION, rowKey: taskId, claimedAt: new Date().toISOString(), job: entity.job },
        'Replace',
      );
      try {
        await table.deleteEntity(entity.partitionKey, entity.rowKey, { etag: entity.etag });
        return parse(entity);
      } catch (error) {
        if (status(error) === 404 || status(error) === 412) return undefined; // someone else won
        throw error;
      }
    },
    async update(owner, taskId, change) {
      await ensureTable();
      for (let attempt = 1; ; attempt++) {
        const entity = await read(asOwner(owner), taskId);
        if (!entity) return undefined;
        const before = parse(entity);
        const after = change(before);
        if (!after) return before;
        if (after.taskId !== before.taskId || after.ownerId !== before.ownerId || after.printerId !== before.printerId)
          throw new Error('a hold update cannot change its owner, task or printer');
        try {
          await table.updateEntity<HoldEntity>(
            {
              partitionKey: entity.partitionKey,
              rowKey: entity.rowKey,
              expiresAt: after.expiresAt,
              ownerUpn: after.ownerUpn.toLowerCase(),
              job: JSON.stringify(after),
            },
            'Replace',
            { etag: entity.etag },
          );
          return after;
        } catch (error) {
          // 412: changed meanwhile, read again; 404: claimed (ended) meanwhile, nothing to change.
          if (status(error) === 404) return undefined;
          if (status(error) !== 412 || attempt >= UPDATE_ATTEMPTS) throw error;
        }
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
        if ((await taskStillOpen(job)) && !(await store.get(ownerOf(job), job.taskId))) {
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

import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { TableClient } from '@azure/data-tables';
import { once } from '../storage/once';
import { tableKey } from '../storage/table-keys';
import { DEFAULT_MIN_PIN_LENGTH, pinProblem } from './pin-policy';
import { isNotFound, missingAsUndefined } from '../storage/not-found';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;

/** scrypt's cost (N): slow enough to make guessing a stolen table costly, fast enough for a terminal. */
export const PIN_HASH_COST = 2 ** 15;
const scryptOptions = (cost: number) => ({ N: cost, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });

/** Whose PIN: the object id is the key; the name is how a terminal user types who they are (if known). */
export interface PinOwner {
  objectId: string;
  userPrincipalName?: string;
}

/** A stored PIN (a salted scrypt hash) and its owner. */
export interface PinRecord extends PinOwner {
  userPrincipalName: string;
  hash: Buffer;
  salt: Buffer;
}

/** A PIN the rules refuse (too short, repeated digits, a run, a common PIN): the message says why. */
export class PinRejected extends Error {
  override name = 'PinRejected';
}

/** The name index's key: a hash of the lower-cased name (any length, any character, no name stored twice). */
const nameKey = (upn: string) => createHash('sha256').update(upn.toLowerCase(), 'utf8').digest('hex');
/** The record key of a user: the object id, lower-case. */
const idKey = (objectId: string) => tableKey(objectId.toLowerCase());

/** An object id no user has: looked up when there is nobody, so every look-up reads the same rows. */
export const NO_USER_ID = '00000000-0000-0000-0000-000000000000';

/** Per cost: what a PIN is checked against when there is no record (the same scrypt work, never a match). */
const dummies = new Map<number, Promise<{ hash: Buffer; salt: Buffer }>>();
const dummyRecord = (cost: number) => {
  let dummy = dummies.get(cost);
  if (!dummy) {
    dummy = (async () => {
      const salt = randomBytes(16);
      return { salt, hash: await scrypt(randomBytes(16).toString('hex'), salt, 32, scryptOptions(cost)) };
    })();
    dummies.set(cost, dummy);
    dummy.catch(() => dummies.delete(cost));
  }
  return dummy;
};

/**
 * Checks a PIN with exactly one scrypt run whatever the case (no record, no PIN given, a wrong PIN,
 * the right one), so neither the answer's time nor its path tells whether a user has a PIN.
 */
export async function verifyPin(
  record: PinRecord | undefined,
  pin: string | undefined,
  cost = PIN_HASH_COST,
): Promise<boolean> {
  const against = record ?? (await dummyRecord(cost));
  const hash = await scrypt(pin ?? '', against.salt, 32, scryptOptions(cost));
  return timingSafeEqual(hash, against.hash) && record !== undefined && pin !== undefined;
}

type PinEntity = { hash: string; salt: string; userPrincipalName: string };
type NameEntity = { objectId: string };

/**
 * Users' release PINs, as slow salted hashes only, keyed by the user's object id; a second row per
 * user maps the (lower-cased) name a terminal user types to that id. Failed attempts are counted by
 * the terminal rate limit (rate-limit.ts), not here. `onPinSet` runs after a user sets a PIN (it
 * clears that user's failed attempts).
 */
export function tablePinStore(
  table: TableClient,
  options: {
    minLength?: number;
    onPinSet?: (objectId: string) => Promise<void>;
    /** scrypt's N; only tests that count work rather than cost pass a lower one (the app never does). */
    hashCost?: number;
  } = {},
) {
  const ensureTable = once(() => table.createTable());
  const minLength = options.minLength ?? DEFAULT_MIN_PIN_LENGTH;
  const cost = options.hashCost ?? PIN_HASH_COST;
  // Made now, so even the first check after a start costs one scrypt run, like every other.
  dummyRecord(cost).catch(() => undefined);

  async function read<T extends object>(partitionKey: string, rowKey: string) {
    await ensureTable();
    try {
      return await table.getEntity<T>(partitionKey, rowKey);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async function forUser(objectId: string): Promise<PinRecord | undefined> {
    const entity = await read<PinEntity>('pin', idKey(objectId));
    if (!entity?.hash || !entity.salt) return undefined;
    return {
      objectId,
      userPrincipalName: entity.userPrincipalName,
      hash: Buffer.from(entity.hash, 'base64'),
      salt: Buffer.from(entity.salt, 'base64'),
    };
  }

  return {
    minLength,

    /** Sets a user's PIN; throws PinRejected when the rules refuse it. */
    async setPin(owner: PinOwner, pin: string): Promise<void> {
      const problem = pinProblem(pin, minLength);
      if (problem) throw new PinRejected(problem);
      const before = await forUser(owner.objectId);
      const salt = randomBytes(16);
      const hash = await scrypt(pin, salt, 32, scryptOptions(cost));
      await table.upsertEntity(
        {
          partitionKey: 'pin',
          rowKey: idKey(owner.objectId),
          hash: hash.toString('base64'),
          salt: salt.toString('base64'),
          userPrincipalName: owner.userPrincipalName ?? '',
        },
        'Replace',
      );
      // No name known (a token without one): the PIN works with a badge only.
      if (owner.userPrincipalName)
        await table.upsertEntity<NameEntity>(
          { partitionKey: 'pin-name', rowKey: nameKey(owner.userPrincipalName), objectId: owner.objectId },
          'Replace',
        );
      // Renamed since the last PIN: the old name no longer leads here.
      if (
        before?.userPrincipalName &&
        before.userPrincipalName.toLowerCase() !== owner.userPrincipalName?.toLowerCase()
      )
        // Gone already is fine. Any other failure is storage failing mid-change: the caller hears of it
        // (the page says try again). A row left behind would lead nowhere: forName checks the name.
        await table.deleteEntity('pin-name', nameKey(before.userPrincipalName)).catch(missingAsUndefined);
      await options.onPinSet?.(owner.objectId);
    },

    forUser,

    /** The PIN record of the user who set a PIN under this name (any case), if any. */
    async forName(upn: string): Promise<PinRecord | undefined> {
      const index = await read<NameEntity>('pin-name', nameKey(upn));
      // Always two reads, so the time taken does not tell whether this name has a PIN.
      const record = await forUser(index?.objectId ?? NO_USER_ID);
      // A stale index row (the user set a PIN under a new name since) leads nowhere.
      return index && record && record.userPrincipalName.toLowerCase() === upn.toLowerCase() ? record : undefined;
    },

    verify: (record: PinRecord | undefined, pin: string | undefined) => verifyPin(record, pin, cost),
  };
}

export type PinStore = ReturnType<typeof tablePinStore>;

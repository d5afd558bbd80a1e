import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { RestError, type TableClient } from '@azure/data-tables';
import { once } from '../storage/once';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;

/** scrypt parameters: slow enough to make guessing a stolen table costly, fast enough for a terminal. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
export const MAX_FAILED_ATTEMPTS = 5;
export const LOCKOUT_MINUTES = 15;

export type PinCheck = 'ok' | 'wrong' | 'locked' | 'no-pin';

/**
 * Users' release PINs, as slow salted hashes only. Repeated wrong PINs lock the user out of PIN
 * release for a while, so a terminal cannot be used to guess them.
 */
export function tablePinStore(table: TableClient, now: () => Date = () => new Date()) {
  const ensureTable = once(() => table.createTable());
  const key = (upn: string) => ({ partitionKey: 'pin', rowKey: upn.toLowerCase() });
  type Entity = { hash: string; salt: string; failures: number; lockedUntil?: string };

  async function read(upn: string) {
    await ensureTable();
    try {
      return await table.getEntity<Entity>(key(upn).partitionKey, key(upn).rowKey);
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  return {
    async setPin(upn: string, pin: string): Promise<void> {
      if (!/^\d{4,8}$/.test(pin)) throw new Error('A PIN is 4 to 8 digits');
      await ensureTable();
      const salt = randomBytes(16);
      const hash = await scrypt(pin, salt, 32, SCRYPT);
      await table.upsertEntity(
        { ...key(upn), hash: hash.toString('base64'), salt: salt.toString('base64'), failures: 0 },
        'Replace',
      );
    },

    async check(upn: string, pin: string): Promise<PinCheck> {
      // A concurrent attempt changed the record (etag): read it again, so no guess goes uncounted.
      for (let attempt = 0; ; attempt++) {
        try {
          return await checkOnce(upn, pin);
        } catch (error) {
          if (!(error instanceof RestError && error.statusCode === 412) || attempt >= 4) throw error;
        }
      }
    },
  };

  async function checkOnce(upn: string, pin: string): Promise<PinCheck> {
    const entity = await read(upn);
    if (!entity) return 'no-pin';
    if (entity.lockedUntil && Date.parse(entity.lockedUntil) > now().getTime()) return 'locked';
    const hash = await scrypt(pin, Buffer.from(entity.salt, 'base64'), 32, SCRYPT);
    const ok = timingSafeEqual(hash, Buffer.from(entity.hash, 'base64'));
    const failures = ok ? 0 : (entity.failures ?? 0) + 1;
    const lockedUntil =
      failures >= MAX_FAILED_ATTEMPTS ? new Date(now().getTime() + LOCKOUT_MINUTES * 60_000).toISOString() : undefined;
    // Etag-guarded: concurrent guesses cannot reset each other's failure count.
    await table.updateEntity(
      { ...key(upn), failures: lockedUntil ? 0 : failures, lockedUntil: lockedUntil ?? '' },
      'Merge',
      { etag: entity.etag },
    );
    if (ok) return 'ok';
    return lockedUntil ? 'locked' : 'wrong';
  }
}

export type PinStore = ReturnType<typeof tablePinStore>;

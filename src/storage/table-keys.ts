import { isGuid } from '../graph/ids';

/**
 * Keys for Azure Tables built from values we do not control (user names, badges, ids from Graph).
 *
 * Azure Tables refuses `/`, `\`, `#`, `?` and control characters in PartitionKey and RowKey, and a
 * key is at most 1 KiB. Every guest (B2B) user principal name contains `#EXT#`, so a raw UPN is not a
 * key. `tableKey` keeps the characters that are safe everywhere (letters, digits, `@ . _ -`) and
 * writes every other UTF-8 byte as `~HH`; `~` itself is always escaped, so the encoding is
 * reversible and two different values never share a key. A plain UPN keeps its readable form.
 */
const KEPT = /^[A-Za-z0-9@._-]$/;
const MAX_KEY_CHARS = 512; // 1 KiB in UTF-16, the service's limit; encoded keys are ASCII

export class TableKeyError extends Error {
  override name = 'TableKeyError';
}

export function tableKey(value: string): string {
  if (value.length === 0) throw new TableKeyError('A table key cannot be empty');
  let out = '';
  for (const char of value) {
    if (KEPT.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length > MAX_KEY_CHARS) throw new TableKeyError('The value is too long for a table key');
  return out;
}

export function fromTableKey(key: string): string {
  if (!/^(?:[A-Za-z0-9@._-]|~[0-9A-F]{2})+$/.test(key)) throw new TableKeyError('Not an encoded table key');
  const bytes: number[] = [];
  for (let i = 0; i < key.length; i++) {
    if (key[i] === '~') {
      bytes.push(Number.parseInt(key.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(key.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** True when Azure Tables would accept the string as a PartitionKey or RowKey as it is. */
export function isValidTableKey(key: string): boolean {
  // eslint-disable-next-line no-control-regex
  return key.length > 0 && key.length <= MAX_KEY_CHARS && !/[/\\#?\u0000-\u001f\u007f-\u009f]/.test(key);
}

/** A user as Graph names them: the object id, and the sign-in name (which can change and be reused). */
export interface UserRef {
  id?: string | null;
  userPrincipalName?: string | null;
}

/**
 * The key for anything that belongs to a user (holds, PINs): the object id, lower-case. The object
 * id never changes and is never reused, unlike the UPN. Only when Graph gives no object id is the
 * lower-cased UPN used, encoded with `tableKey`; it cannot collide with an id (a UPN has an `@`).
 */
export function userKey(user: UserRef): string {
  if (user.id && isGuid(user.id)) return user.id.toLowerCase();
  if (user.userPrincipalName) return tableKey(user.userPrincipalName.toLowerCase());
  throw new TableKeyError('The user has neither an object id nor a user principal name');
}

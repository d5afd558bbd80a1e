import { isGuid } from './guid';
import { parseJsonText } from './json-syntax';

/**
 * RELEASE_GATE_FAIL_SAFE_PRINTERS: the fail-safe action per printer or group of printers, as a JSON
 * object. A key that is a GUID names one printer by id; any other key is a display-name pattern
 * (`*` a wildcard, ignoring case, as in the policy) that names a group of printers, e.g. "HR *".
 * Values: "release" or "deny". An id entry wins over a pattern; among patterns, the first written.
 */
export type FailSafeAction = 'release' | 'deny';

export interface FailSafePrinters {
  /** By printer id, lower case. */
  ids: ReadonlyMap<string, FailSafeAction>;
  /** Display-name patterns, in the order written. */
  names: readonly { pattern: string; action: FailSafeAction }[];
}

const MAX_ENTRIES = 500;

export const NO_FAIL_SAFE_PRINTERS: FailSafePrinters = { ids: new Map(), names: [] };

/** Parses the setting; the errors name each bad entry and say what is expected. */
export function parseFailSafePrinters(
  json: string | undefined,
): { ok: true; printers: FailSafePrinters } | { ok: false; errors: string[] } {
  if (json === undefined || json.trim() === '') return { ok: true, printers: NO_FAIL_SAFE_PRINTERS };
  let value: unknown;
  try {
    value = parseJsonText(json);
  } catch (error) {
    // "line 1, column 9: Expected ',' or '}' after property value": where, not a character offset.
    return { ok: false, errors: [`is not valid JSON (${(error as Error).message})`] };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return {
      ok: false,
      errors: ['must be a JSON object from printer id or display-name pattern to "release" or "deny"'],
    };
  const entries = Object.entries(value as Record<string, unknown>);
  const errors: string[] = [];
  if (entries.length > MAX_ENTRIES) errors.push(`has ${entries.length} entries; at most ${MAX_ENTRIES}`);
  const ids = new Map<string, FailSafeAction>();
  const names: { pattern: string; action: FailSafeAction }[] = [];
  for (const [key, action] of entries) {
    if (action !== 'release' && action !== 'deny') {
      errors.push(`"${key.slice(0, 100)}": expected "release" or "deny", got ${JSON.stringify(action)}`);
      continue;
    }
    const pattern = key.trim();
    if (!pattern || pattern.length > 200 || /^\*+$/.test(pattern)) {
      errors.push(
        `"${key.slice(0, 100)}": expected a printer id or a display-name pattern of 1-200 characters ` +
          '(for every printer, use RELEASE_GATE_FAIL_SAFE_ACTION)',
      );
      continue;
    }
    if (isGuid(pattern)) ids.set(pattern.toLowerCase(), action);
    else names.push({ pattern, action });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, printers: { ids, names } };
}

import { RestError } from '@azure/data-tables';

/** Storage answered 404: the table row (or table) is not there. */
export const isNotFound = (error: unknown): boolean => error instanceof RestError && error.statusCode === 404;

/**
 * For `.catch(missingAsUndefined)` on a read or delete: a row that is not there is `undefined` (for a
 * delete, already done); every other failure is thrown on, never dropped.
 */
export function missingAsUndefined(error: unknown): undefined {
  if (isNotFound(error)) return undefined;
  throw error;
}

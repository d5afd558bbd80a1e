/**
 * A GUID in either case: tenant, app, printer, task-definition and object ids. Declared here, below
 * everything that reads ids, because the settings check their ids too; `graph/ids.ts` hands it on
 * with the other id rules.
 */
export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isGuid = (value: string): boolean => GUID_PATTERN.test(value);

import type { PrintApi } from '../graph/print-api';
import type { PrintTaskDefinition } from '../graph/print-schemas';

export const DEFAULT_DEFINITION_NAME = 'Release Gate';

/**
 * Finds our task definition (same display name, created by our app) or creates it. Idempotent:
 * running set-up again never makes a second one.
 */
export async function ensureTaskDefinition(
  api: PrintApi,
  options: { appId: string; displayName?: string },
): Promise<{ definition: PrintTaskDefinition; created: boolean }> {
  const displayName = options.displayName ?? DEFAULT_DEFINITION_NAME;
  const existing = (await api.listTaskDefinitions()).find(
    (d) =>
      d.displayName === displayName &&
      (!d.createdBy?.appId || d.createdBy.appId.toLowerCase() === options.appId.toLowerCase()),
  );
  if (existing) return { definition: existing, created: false };
  return { definition: await api.createTaskDefinition(displayName), created: true };
}

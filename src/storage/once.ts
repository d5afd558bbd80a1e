/**
 * Runs `create` the first time it is needed and shares that one promise; a failure is forgotten, so
 * the next caller tries again instead of inheriting the error. For "create the table/queue if it
 * does not exist" on first use (Azurite starts empty; in Azure, Bicep made them already).
 */
export function once(create: () => Promise<unknown>): () => Promise<unknown> {
  let pending: Promise<unknown> | undefined;
  return () =>
    (pending ??= create().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
}

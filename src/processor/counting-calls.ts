/**
 * The same API, counting the Graph operations one task makes (an audit figure and a test check)
 * and reporting each one's outcome and latency.
 */
export function countingCalls<Api extends object>(
  api: Api,
  onCall?: (operation: string, status: number, durationMs: number) => void,
): { api: Api; calls: () => number } {
  let count = 0;
  const counted = new Proxy(api, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        count++;
        const started = performance.now();
        try {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          onCall?.(String(property), 200, performance.now() - started);
          return result;
        } catch (error) {
          const status = (error as { statusCode?: unknown }).statusCode;
          onCall?.(String(property), typeof status === 'number' ? status : 0, performance.now() - started);
          throw error;
        }
      };
    },
  });
  return { api: counted, calls: () => count };
}

import type { PrintApi } from '../graph/print-api';

/** The same API, counting the Graph operations one task makes (an audit figure and a test check). */
export function countingCalls(api: PrintApi): { api: PrintApi; calls: () => number } {
  let count = 0;
  const counted = new Proxy(api, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        count++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { api: counted, calls: () => count };
}

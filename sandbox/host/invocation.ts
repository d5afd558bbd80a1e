import { randomUUID } from 'node:crypto';
import { InvocationContext, type InvocationContextInit } from '@azure/functions';

/** One log line from a function, as the host would forward it to Application Insights. */
export interface HostLogEntry {
  time: Date;
  functionName: string;
  invocationId: string;
  level: string;
  message: string;
}

export type HostLogSink = (entry: HostLogEntry) => void;

/** Prints function logs like Core Tools does: time, function, level, message. */
export const consoleLogSink: HostLogSink = (entry) => {
  const line = `[${entry.time.toISOString()}] ${entry.functionName} ${entry.level}: ${entry.message}`;
  if (entry.level === 'error') console.error(line);
  else console.log(line);
};

export function createInvocationContext(
  functionName: string,
  sink: HostLogSink,
  extra: Omit<InvocationContextInit, 'functionName' | 'invocationId' | 'logHandler'> = {},
): InvocationContext {
  const invocationId = randomUUID();
  return new InvocationContext({
    ...extra,
    functionName,
    invocationId,
    logHandler: (level, ...args) =>
      sink({ time: new Date(), functionName, invocationId, level, message: args.map(String).join(' ') }),
  });
}

/** Runs a handler under the host's functionTimeout: a hung invocation counts as failed. */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} exceeded functionTimeout (${timeoutMs} ms)`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

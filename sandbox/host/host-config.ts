import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The host.json settings the sandbox host honours, with the Functions host's defaults. */
export interface QueueHostSettings {
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
}

export interface HostSettings {
  routePrefix: string;
  functionTimeoutMs: number;
  queues: QueueHostSettings;
}

export const HOST_JSON = path.resolve(__dirname, '..', '..', 'host.json');

/** "hh:mm:ss" (the host's TimeSpan format) to milliseconds. */
export function timeSpanMs(value: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value);
  if (!match) throw new Error(`Not a TimeSpan: ${value}`);
  const [, days = '0', h = '0', m = '0', s = '0', fraction = '0'] = match;
  return (
    ((Number(days) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1000 + Number(`0.${fraction}`) * 1000
  );
}

export function readHostSettings(file: string = HOST_JSON): HostSettings {
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    functionTimeout?: string;
    extensions?: { http?: { routePrefix?: string }; queues?: Record<string, unknown> };
  };
  const q = json.extensions?.queues ?? {};
  const batchSize = Number(q.batchSize ?? 16);
  return {
    routePrefix: json.extensions?.http?.routePrefix ?? 'api',
    functionTimeoutMs: timeSpanMs(json.functionTimeout ?? '00:05:00'),
    queues: {
      batchSize,
      newBatchThreshold: Number(q.newBatchThreshold ?? Math.floor(batchSize / 2)),
      maxDequeueCount: Number(q.maxDequeueCount ?? 5),
      visibilityTimeoutMs: timeSpanMs(String(q.visibilityTimeout ?? '00:00:00')),
      maxPollingIntervalMs: timeSpanMs(String(q.maxPollingInterval ?? '00:01:00')),
    },
  };
}

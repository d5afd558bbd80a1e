import type { ServerResponse } from 'node:http';

/**
 * A bounded log of the Graph requests the simulator served, so tests count real calls ("one redirect")
 * instead of inferring them from state. It keeps who called and how it ended, never tokens or bodies.
 */

/** `none`: no bearer token, or one the simulator refused (401). */
export type TokenKind = 'app' | 'user' | 'none';

export interface LoggedRequest {
  /** Arrival order, from 1; it keeps counting across `clear()`. */
  seq: number;
  /** Arrival time (ISO 8601). */
  time: string;
  method: string;
  /** The path after `/v1.0` (or `/beta`), without the query string. */
  path: string;
  /** The HTTP status answered; 0 when the connection was dropped without an answer. */
  status: number;
  tokenKind: TokenKind;
  /** The calling app's client id, from a valid token. */
  appId?: string;
  /** Ids of the fault rules applied to this request. */
  faultIds: string[];
  durationMs: number;
}

export interface RequestFilter {
  method?: string;
  /** Regular expression matched against `path`. */
  path?: string | RegExp;
  /** Requests on this job: a `/jobs/{jobId}` segment. */
  jobId?: string;
  /** Requests on this task: a `/tasks/{taskId}` segment. */
  taskId?: string;
  /** Requests on this printer: a `/printers/{printerId}` segment. */
  printerId?: string;
  status?: number;
  tokenKind?: TokenKind;
  appId?: string;
}

export const DEFAULT_REQUEST_LOG_SIZE = 10_000;

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private nextSeq = 1;
  private evictedCount = 0;

  constructor(readonly capacity: number = DEFAULT_REQUEST_LOG_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('the request log needs a capacity of at least 1');
  }

  /**
   * Starts an entry for a request and records it when the response ends (or the connection closes
   * without one). The returned entry may still be completed (fault ids) before then.
   */
  track(res: ServerResponse, request: { method: string; path: string; tokenKind: TokenKind; appId?: string }) {
    const started = Date.now();
    const entry: LoggedRequest = {
      seq: this.nextSeq++,
      time: new Date(started).toISOString(),
      method: request.method.toUpperCase(),
      path: request.path,
      status: 0,
      tokenKind: request.tokenKind,
      ...(request.appId ? { appId: request.appId } : {}),
      faultIds: [],
      durationMs: 0,
    };
    res.once('close', () => {
      entry.status = res.writableFinished ? res.statusCode : 0;
      entry.durationMs = Date.now() - started;
      this.add(entry);
    });
    return entry;
  }

  /** Logged requests matching every given criterion, in arrival order. */
  find(filter: RequestFilter = {}): LoggedRequest[] {
    const pathPattern =
      filter.path === undefined ? undefined : filter.path instanceof RegExp ? filter.path : new RegExp(filter.path);
    return this.entries
      .filter(
        (e) =>
          (!filter.method || e.method === filter.method.toUpperCase()) &&
          (!pathPattern || pathPattern.test(e.path)) &&
          (filter.jobId === undefined || hasSegment(e.path, 'jobs', filter.jobId)) &&
          (filter.taskId === undefined || hasSegment(e.path, 'tasks', filter.taskId)) &&
          (filter.printerId === undefined || hasSegment(e.path, 'printers', filter.printerId)) &&
          (filter.status === undefined || e.status === filter.status) &&
          (!filter.tokenKind || e.tokenKind === filter.tokenKind) &&
          (!filter.appId || e.appId === filter.appId),
      )
      .sort((a, b) => a.seq - b.seq)
      .map((e) => ({ ...e, faultIds: [...e.faultIds] }));
  }

  count(filter: RequestFilter = {}): number {
    return this.find(filter).length;
  }

  clear(): void {
    this.entries = [];
    this.evictedCount = 0;
  }

  /** Entries dropped to stay within `capacity` since the last clear: counts are only exact while this is 0. */
  get evicted(): number {
    return this.evictedCount;
  }

  private add(entry: LoggedRequest): void {
    this.entries.push(entry);
    const excess = this.entries.length - this.capacity;
    if (excess > 0) {
      this.entries.splice(0, excess);
      this.evictedCount += excess;
    }
  }
}

/** Whether `path` has `/{collection}/{id}` (ids compared decoded, as routes see them). */
function hasSegment(path: string, collection: string, id: string): boolean {
  const segments = path.split('/');
  return segments.some((segment, i) => i > 0 && segments[i - 1] === collection && safeDecode(segment) === id);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Parses the control API's query string into a filter (unknown keys are refused, so typos don't match all). */
export function requestFilterFromQuery(query: URLSearchParams): RequestFilter {
  const known = new Set(['method', 'path', 'jobId', 'taskId', 'printerId', 'status', 'tokenKind', 'appId']);
  for (const key of query.keys()) if (!known.has(key)) throw new Error(`Unknown request filter '${key}'`);
  const text = (key: string) => query.get(key) ?? undefined;
  const status = text('status');
  const tokenKind = text('tokenKind');
  if (status !== undefined && !/^\d+$/.test(status)) throw new Error('status must be a number');
  if (tokenKind !== undefined && !['app', 'user', 'none'].includes(tokenKind))
    throw new Error('tokenKind must be app, user or none');
  const path = text('path');
  if (path !== undefined) new RegExp(path); // fail early on a bad pattern
  return {
    method: text('method'),
    path,
    jobId: text('jobId'),
    taskId: text('taskId'),
    printerId: text('printerId'),
    status: status === undefined ? undefined : Number(status),
    tokenKind: tokenKind as TokenKind | undefined,
    appId: text('appId'),
  };
}

/**
 * In-memory fakes for unit tests of the release path (release API, terminals, releasing held jobs):
 * a print API that is as strict as Graph about the calls releasing makes, and hold, audit, task,
 * PIN and attempt stores. Every Graph call is recorded, so a test counts what reached "Graph".
 */
import { RestError, type TableClient } from '@azure/data-tables';
import { GraphError } from '@microsoft/microsoft-graph-client';
import type { AuditLog, AuditRecord } from '../../src/audit/audit-log';
import type { PrintApi } from '../../src/graph/print-api';
import type { PrintJob, PrintJobConfigurationChange, Printer } from '../../src/graph/print-schemas';
import { ownsHold, type HeldJob, type HoldOwner, type HoldStore } from '../../src/holds/hold-store';
import type { Log, LogFields } from '../../src/observability/log';
import { memoryUsageStore } from '../../src/quota/memory-usage-store';
import type { UsageCounter, UsageStore } from '../../src/quota/quota-model';
import { pinProblem } from '../../src/release/pin-policy';
import { PinRejected, type PinOwner, type PinRecord, type PinStore } from '../../src/release/pin-store';
import type { TaskIndex, TaskIndexStatus } from '../../src/tasks/task-index';

export const graphError = (status: number, message: string, retryAfter?: string): GraphError => {
  const error = new GraphError(status, message);
  error.code = status === 404 ? 'itemNotFound' : status === 400 ? 'badRequest' : `Error${status}`;
  error.headers = new Headers(retryAfter ? { 'retry-after': retryAfter } : {});
  return error;
};

export interface FakeJob {
  printerId: string;
  id: string;
  state: 'paused' | 'completed' | 'aborted' | 'processing';
  ownerUpn: string;
  configuration: PrintJobConfigurationChange;
  redirectedFrom?: string;
}

export interface FakeTask {
  definitionId: string;
  id: string;
  printerId: string;
  jobId: string;
  state: 'processing' | 'completed' | 'aborted';
}

/** One Graph call as it reached the fake: the method name and its arguments. */
export interface GraphCall {
  method: string;
  args: unknown[];
}

/**
 * The slice of Universal Print that releasing uses, with Graph's rules: a job or task that does not
 * exist is a 404; acting on a job needs its task still `processing` (400 otherwise, as Graph says);
 * a task ends once; a redirect needs an existing, accepting printer other than the job's own.
 * `fail(method, error, times)` makes the next calls of a method throw.
 */
export class FakePrintApi {
  readonly printers = new Map<string, Printer & { isAcceptingJobs: boolean }>();
  readonly jobs = new Map<string, FakeJob>();
  readonly tasks = new Map<string, FakeTask>();
  readonly calls: GraphCall[] = [];
  private readonly faults = new Map<string, { error: Error; times: number }[]>();
  private nextJobId = 1000;

  /** The fake as the type the code under test takes (it uses only the methods below). */
  get api(): PrintApi {
    return this as unknown as PrintApi;
  }

  addPrinter(id: string, options: { physical?: boolean; accepting?: boolean } = {}): string {
    this.printers.set(id.toLowerCase(), {
      id,
      displayName: `Printer ${id.slice(0, 4)}`,
      hasPhysicalDevice: options.physical ?? true,
      isAcceptingJobs: options.accepting ?? true,
    });
    return id;
  }

  /** A job held by our task (paused, task processing), as the processor leaves it. */
  addHeldJob(printerId: string, ownerUpn: string, taskId: string, definitionId = 'def-1'): FakeJob {
    const job: FakeJob = {
      printerId,
      id: String(this.nextJobId++),
      state: 'paused',
      ownerUpn,
      configuration: {},
    };
    this.jobs.set(this.key(printerId, job.id), job);
    this.tasks.set(taskId, { definitionId, id: taskId, printerId, jobId: job.id, state: 'processing' });
    return job;
  }

  /** Universal Print "eventually deletes" a blocked job: it is gone, a 404 from now on. */
  deleteJob(printerId: string, jobId: string): void {
    this.jobs.delete(this.key(printerId, jobId));
  }

  fail(method: string, error: Error, times = 1): void {
    const list = this.faults.get(method) ?? [];
    list.push({ error, times });
    this.faults.set(method, list);
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  async getPrinter(printerId: string): Promise<Printer> {
    this.record('getPrinter', printerId);
    return { ...this.printer(printerId) };
  }

  async listJobs(printerId: string, ownerUpn?: string): Promise<PrintJob[]> {
    this.record('listJobs', printerId, ownerUpn);
    this.printer(printerId);
    return [...this.jobs.values()]
      .filter((j) => j.printerId.toLowerCase() === printerId.toLowerCase())
      .filter((j) => !ownerUpn || j.ownerUpn.toLowerCase() === ownerUpn.toLowerCase())
      .map((j) => this.view(j));
  }

  async getJob(printerId: string, jobId: string): Promise<PrintJob> {
    this.record('getJob', printerId, jobId);
    return this.view(this.job(printerId, jobId));
  }

  async updateJobConfiguration(
    printerId: string,
    jobId: string,
    configuration: PrintJobConfigurationChange,
  ): Promise<PrintJob> {
    this.record('updateJobConfiguration', printerId, jobId, configuration);
    const job = this.job(printerId, jobId);
    this.processingTaskOf(job);
    job.configuration = { ...job.configuration, ...configuration };
    return this.view(job);
  }

  async setTaskState(
    definitionId: string,
    taskId: string,
    state: 'completed' | 'aborted',
    description: string,
  ): Promise<{ id: string; status: { state: string; description: string } }> {
    this.record('setTaskState', definitionId, taskId, state, description);
    const task = this.tasks.get(taskId);
    if (!task || task.definitionId !== definitionId) throw graphError(404, `Task ${taskId} not found.`);
    if (task.state !== 'processing') throw graphError(400, `The task is ${task.state}, not processing.`);
    task.state = state;
    const job = this.jobs.get(this.key(task.printerId, task.jobId));
    // Completing the last task of a paused job lets it print.
    if (job && state === 'completed' && job.state === 'paused') job.state = 'completed';
    return { id: taskId, status: { state, description } };
  }

  async redirectJob(
    printerId: string,
    jobId: string,
    destinationPrinterId: string,
    configuration?: PrintJobConfigurationChange,
  ): Promise<PrintJob> {
    this.record('redirectJob', printerId, jobId, destinationPrinterId, configuration);
    const job = this.job(printerId, jobId);
    const task = this.processingTaskOf(job);
    const destination = this.printers.get(destinationPrinterId.toLowerCase());
    if (!destination) throw graphError(400, `Destination printer ${destinationPrinterId} does not exist.`);
    if (destination.id.toLowerCase() === job.printerId.toLowerCase())
      throw graphError(400, "The destination printer is the job's own printer.");
    if (!destination.isAcceptingJobs) throw graphError(400, 'The destination printer is not accepting jobs.');
    const moved: FakeJob = {
      ...job,
      printerId: destination.id,
      id: String(this.nextJobId++),
      state: 'processing',
      configuration: { ...job.configuration, ...configuration },
      redirectedFrom: `${job.printerId}/${job.id}`,
    };
    this.jobs.set(this.key(moved.printerId, moved.id), moved);
    job.state = 'completed';
    task.state = 'completed'; // Graph completes the task of a redirected job itself
    return this.view(moved);
  }

  async abortJob(printerId: string, jobId: string, reason?: string): Promise<void> {
    this.record('abortJob', printerId, jobId, reason);
    const job = this.job(printerId, jobId);
    this.processingTaskOf(job);
    job.state = 'aborted';
  }

  /** The job a redirect made from this one, if any. */
  movedFrom(job: FakeJob): FakeJob | undefined {
    return [...this.jobs.values()].find((j) => j.redirectedFrom === `${job.printerId}/${job.id}`);
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const fault = this.faults.get(method)?.[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.get(method)!.shift();
      throw fault.error;
    }
  }

  private key(printerId: string, jobId: string): string {
    return `${printerId.toLowerCase()}/${jobId}`;
  }

  private printer(printerId: string) {
    const printer = this.printers.get(printerId.toLowerCase());
    if (!printer) throw graphError(404, `Printer ${printerId} not found.`);
    return printer;
  }

  private job(printerId: string, jobId: string): FakeJob {
    this.printer(printerId);
    const job = this.jobs.get(this.key(printerId, jobId));
    if (!job) throw graphError(404, `Job ${jobId} not found.`);
    return job;
  }

  private processingTaskOf(job: FakeJob): FakeTask {
    const task = [...this.tasks.values()].find(
      (t) =>
        t.jobId === job.id && t.printerId.toLowerCase() === job.printerId.toLowerCase() && t.state === 'processing',
    );
    if (!task)
      throw graphError(
        400,
        'The operation requires a printTask in processing state created by a trigger of the calling application.',
      );
    return task;
  }

  private view(job: FakeJob): PrintJob {
    return {
      id: job.id,
      createdBy: { userPrincipalName: job.ownerUpn },
      status: { state: job.state },
      configuration: { ...job.configuration },
    };
  }
}

/**
 * Holds in memory with the table store's rules: one partition per owner (object id, else UPN),
 * `claim` takes a hold out for exactly one caller, `add` keeps the first copy of a task's hold.
 */
export class FakeHoldStore implements HoldStore {
  readonly held = new Map<string, HeldJob>();

  async add(job: HeldJob): Promise<HeldJob> {
    const existing = this.held.get(job.taskId);
    if (existing) return existing;
    this.held.set(job.taskId, structuredClone(job));
    return job;
  }

  async get(owner: HoldOwner | string, taskId: string): Promise<HeldJob | undefined> {
    const held = this.held.get(taskId);
    return held && ownsHold(asOwner(owner), held) ? structuredClone(held) : undefined;
  }

  async listExpired(now: Date, limit: number): Promise<HeldJob[]> {
    return [...this.held.values()].filter((h) => Date.parse(h.expiresAt) <= now.getTime()).slice(0, limit);
  }

  async listByOwner(owner: HoldOwner | string): Promise<HeldJob[]> {
    return [...this.held.values()].filter((h) => ownsHold(asOwner(owner), h)).map((h) => structuredClone(h));
  }

  async claim(owner: HoldOwner | string, taskId: string): Promise<HeldJob | undefined> {
    const held = this.held.get(taskId);
    if (!held || !ownsHold(asOwner(owner), held)) return undefined;
    this.held.delete(taskId);
    return held;
  }

  async update(
    owner: HoldOwner | string,
    taskId: string,
    change: (held: HeldJob) => HeldJob | undefined,
  ): Promise<HeldJob | undefined> {
    const held = this.held.get(taskId);
    if (!held || !ownsHold(asOwner(owner), held)) return undefined;
    const after = change(structuredClone(held));
    if (after) this.held.set(taskId, structuredClone(after));
    return structuredClone(this.held.get(taskId));
  }

  async recoverLostClaims(): Promise<HeldJob[]> {
    return [];
  }
}

const asOwner = (owner: HoldOwner | string): HoldOwner =>
  typeof owner === 'string' ? { userPrincipalName: owner } : owner;

export class FakeAuditLog implements AuditLog {
  readonly records = new Map<string, AuditRecord>();
  async find(_receivedAt: string, taskId: string): Promise<AuditRecord | undefined> {
    return this.records.get(taskId);
  }
  async write(record: AuditRecord): Promise<void> {
    this.records.set(record.taskId, structuredClone(record));
  }
}

export class FakeTaskIndex implements TaskIndex {
  readonly marks: { taskId: string; status: TaskIndexStatus; outcome?: string }[] = [];
  async get() {
    return undefined;
  }
  async mark(_definitionId: string, taskId: string, status: TaskIndexStatus, _now: Date, outcome?: string) {
    this.marks.push({ taskId, status, ...(outcome ? { outcome } : {}) });
  }
}

/** A log that keeps its events (event name and fields) for assertions. */
export function recordingLog(events: { level: string; event: string; fields: LogFields }[] = [], base: LogFields = {}) {
  const emit = (level: string) => (event: string, fields?: LogFields) =>
    events.push({ level, event, fields: { ...base, ...fields } });
  const log: Log & { events: typeof events } = {
    events,
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    with: (fields) => recordingLog(events, { ...base, ...fields }),
  };
  return log;
}

let taskCounter = 0;
/** A hold as the processor writes it, for an owner (object id and UPN) on a printer. */
export function heldJobFor(
  graph: FakePrintApi,
  owner: { id?: string; upn: string },
  printerId: string,
  extra: Partial<HeldJob> = {},
): { held: HeldJob; job: FakeJob } {
  const taskId = `task-${++taskCounter}`;
  const job = graph.addHeldJob(printerId, owner.upn, taskId);
  const held: HeldJob = {
    taskDefinitionId: 'def-1',
    taskId,
    printerId,
    jobId: job.id,
    ownerUpn: owner.upn,
    ...(owner.id ? { ownerId: owner.id } : {}),
    documentName: `Document ${taskId}.pdf`,
    sizeBytes: 20_000,
    heldAt: new Date(Date.now() - 60_000).toISOString(),
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    onExpiry: 'deny',
    rule: 'hold everything',
    correlationId: `corr-${taskId}`,
    receivedAt: new Date().toISOString(),
    ...extra,
  };
  return { held, job };
}

/** The audit record the processor wrote when it held a job. */
export function heldAuditRecord(held: HeldJob): AuditRecord {
  return {
    receivedAt: held.receivedAt,
    taskId: held.taskId,
    taskDefinitionId: held.taskDefinitionId,
    jobId: held.jobId,
    printerId: held.printerId,
    rule: held.rule,
    action: 'hold',
    decision: { action: 'hold', rule: held.rule, expiresInMinutes: 60, onExpiry: held.onExpiry },
    outcome: 'held',
    correlationId: held.correlationId,
    decidedAt: held.heldAt,
  };
}

/** A user's PIN as the fake keeps it: in clear (the real store's scrypt is not what these tests test). */
export class FakePinStore {
  minLength = 6;
  readonly pins = new Map<string, { objectId: string; userPrincipalName: string; pin: string }>();
  readonly verified: (string | undefined)[] = [];

  async setPin(owner: PinOwner, pin: string): Promise<void> {
    const problem = pinProblem(pin, this.minLength);
    if (problem) throw new PinRejected(problem);
    this.pins.set(owner.objectId.toLowerCase(), {
      objectId: owner.objectId,
      userPrincipalName: owner.userPrincipalName ?? '',
      pin,
    });
  }

  async forUser(objectId: string): Promise<PinRecord | undefined> {
    const entry = this.pins.get(objectId.toLowerCase());
    return entry && this.record(entry);
  }

  async forName(upn: string): Promise<PinRecord | undefined> {
    const entry = [...this.pins.values()].find((p) => p.userPrincipalName.toLowerCase() === upn.toLowerCase());
    return entry && this.record(entry);
  }

  /** Counts every check (the real one costs one scrypt run whatever the case). */
  async verify(record: PinRecord | undefined, pin: string | undefined): Promise<boolean> {
    this.verified.push(record?.objectId);
    return record !== undefined && pin !== undefined && record.hash.toString('utf8') === pin;
  }

  get store(): PinStore {
    return this;
  }

  private record(entry: { objectId: string; userPrincipalName: string; pin: string }): PinRecord {
    return { ...entry, hash: Buffer.from(entry.pin, 'utf8'), salt: Buffer.alloc(0) };
  }
}

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

/**
 * The slice of an Azure Tables client the release stores use, in memory, with the service's answers:
 * 404 for a missing entity, 409 for a second create, 412 for a stale etag.
 */
export class FakeTable {
  private readonly rows = new Map<string, { entity: Entity; etag: string }>();
  private version = 0;

  get client(): TableClient {
    return this as unknown as TableClient;
  }

  async createTable(): Promise<void> {}

  async getEntity<T extends object>(partitionKey: string, rowKey: string): Promise<T & Entity & { etag: string }> {
    const row = this.rows.get(this.key(partitionKey, rowKey));
    if (!row) throw new RestError('The specified resource does not exist.', { statusCode: 404 });
    return { ...structuredClone(row.entity), etag: row.etag } as T & Entity & { etag: string };
  }

  async createEntity(entity: Entity): Promise<void> {
    const key = this.key(entity.partitionKey, entity.rowKey);
    if (this.rows.has(key)) throw new RestError('The specified entity already exists.', { statusCode: 409 });
    this.put(entity);
  }

  async upsertEntity(entity: Entity): Promise<void> {
    this.put(entity);
  }

  async updateEntity(entity: Entity, _mode: string, options: { etag?: string } = {}): Promise<void> {
    const row = this.rows.get(this.key(entity.partitionKey, entity.rowKey));
    if (!row) throw new RestError('The specified resource does not exist.', { statusCode: 404 });
    if (options.etag && options.etag !== '*' && options.etag !== row.etag)
      throw new RestError('The update condition specified in the request was not satisfied.', { statusCode: 412 });
    this.put(entity);
  }

  async deleteEntity(partitionKey: string, rowKey: string): Promise<void> {
    if (!this.rows.delete(this.key(partitionKey, rowKey)))
      throw new RestError('The specified resource does not exist.', { statusCode: 404 });
  }

  /** Only `PartitionKey eq '…'` filters (what the stores send). */
  async *listEntities(options: { queryOptions?: { filter?: string } } = {}): AsyncIterableIterator<Entity> {
    const partition = /^PartitionKey eq '(.*)'$/.exec(options.queryOptions?.filter ?? '')?.[1]?.replace(/''/g, "'");
    for (const { entity } of [...this.rows.values()])
      if (partition === undefined || entity.partitionKey === partition) yield structuredClone(entity);
  }

  private put(entity: Entity): void {
    this.rows.set(this.key(entity.partitionKey, entity.rowKey), {
      entity: structuredClone(entity),
      etag: `W/"${++this.version}"`,
    });
  }

  private key(partitionKey: string, rowKey: string): string {
    return `${partitionKey}\u0000${rowKey}`;
  }
}

/** The printers the release tests use: the pull queue jobs are held on, and two physical printers. */
export const PRINTERS: Record<'queue' | 'library' | 'hr', string> = {
  queue: 'aaaaaaaa-0000-4000-8000-000000000001',
  library: 'aaaaaaaa-0000-4000-8000-000000000002',
  hr: 'aaaaaaaa-0000-4000-8000-000000000003',
};

export interface TestUser {
  id: string;
  upn: string;
}

export const USERS: Record<'adele' | 'megan' | 'lee', TestUser> = {
  adele: { id: '11111111-1111-4111-8111-111111111111', upn: 'adele@contoso.example' },
  megan: { id: '22222222-2222-4222-8222-222222222222', upn: 'megan@contoso.example' },
  lee: { id: '44444444-4444-4444-8444-444444444444', upn: 'lee.student@contoso.example' },
};

/** A fake Graph with those printers, and empty stores: what each release test starts from. */
export function releaseWorld() {
  const graph = new FakePrintApi();
  graph.addPrinter(PRINTERS.queue, { physical: false });
  graph.addPrinter(PRINTERS.library);
  graph.addPrinter(PRINTERS.hr);
  return {
    graph,
    holds: new FakeHoldStore(),
    audit: new FakeAuditLog(),
    tasks: new FakeTaskIndex(),
    pins: new FakePinStore(),
  };
}

/**
 * The usage store's read side (what the release page asks): counters set by the test, a failure
 * on demand, every read recorded. The rest is the memory store's (the release page never charges).
 */
export class FakeUsageReader {
  readonly counters: UsageCounter[] = [];
  readonly reads: { userKey: string; periods: { quota: string; periodKey: string }[] }[] = [];
  failure?: Error;

  get store(): UsageStore {
    return {
      ...memoryUsageStore(),
      read: async (userKey, periods) => {
        this.reads.push({ userKey, periods });
        if (this.failure) throw this.failure;
        return this.counters.filter(
          (c) => c.userKey === userKey && periods.some((p) => p.quota === c.quota && p.periodKey === c.periodKey),
        );
      },
    };
  }
}

/**
 * A stored hold of the owner's on printer-1 (no Graph job behind it), for tests of what is done to
 * holds themselves (keep longer, expiry warnings); the times are the test's.
 */
export function storedHold(
  taskId: string,
  owner: TestUser,
  extra: Partial<HeldJob> & Pick<HeldJob, 'heldAt' | 'expiresAt'>,
): HeldJob {
  return {
    taskDefinitionId: 'def-1',
    taskId,
    printerId: 'printer-1',
    jobId: `job-${taskId}`,
    ownerUpn: owner.upn,
    ownerId: owner.id,
    onExpiry: 'deny',
    rule: 'hold',
    correlationId: `corr-${taskId}`,
    receivedAt: extra.heldAt,
    ...extra,
  };
}

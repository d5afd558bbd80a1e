import { GraphError } from '@microsoft/microsoft-graph-client';
import type { PrintJob, PrintJobConfigurationChange, Printer, PrintTask } from '../../src/graph/print-schemas';
import type { ProcessorApi } from '../../src/processor/task-run';

/**
 * An in-memory Universal Print with only the calls the processor makes, as strict as Graph where
 * the processor depends on it (see the API reference §1 and §7): a missing task, job or printer is
 * a 404; completing or aborting a task that is not `processing` is a 400; update, redirect and abort
 * need the job's task still processing (400 otherwise); an aborted job cannot be aborted again;
 * a redirect completes the task itself. Every call is recorded, and faults can be queued per call.
 */
export const TASK_DEFINITION_ID = '5a0c0b60-0000-4000-8000-00000000d001';
export const TENANT_ID = '5a0c0b60-0000-4000-8000-00000000aaaa';

type Method = keyof ProcessorApi;
interface FakeTask {
  id: string;
  definitionId: string;
  state: PrintTask['status']['state'];
  description?: string;
  printerId: string;
  jobId: string;
}

export interface FakeCall {
  method: Method;
  args: unknown[];
}

export function graphError(status: number, options: { retryAfter?: string; code?: string } = {}): GraphError {
  const error = new GraphError(status, `status ${status}`);
  error.code = options.code ?? `Status${status}`;
  if (options.retryAfter !== undefined) error.headers = new Headers({ 'retry-after': options.retryAfter });
  return error;
}

const ids = (prefix: string) => {
  let n = 0;
  return () => `${prefix}${(++n).toString(16).padStart(12, '0')}`;
};

export class FakePrintApi implements ProcessorApi {
  readonly calls: FakeCall[] = [];
  readonly printers = new Map<string, Printer>();
  readonly jobs = new Map<string, PrintJob & { printerId: string }>();
  readonly tasks = new Map<string, FakeTask>();
  readonly groups = new Map<string, Set<string>>();
  /** Whether to record calls (off in the CPU bench, where the record would only grow). */
  record = true;
  private readonly faults = new Map<Method, unknown[]>();
  private readonly nextJobId = ids('0b000000-0000-4000-8000-');
  private readonly nextTaskId = ids('7a000000-0000-4000-8000-');

  addPrinter(printer: Partial<Printer> & { id: string }): Printer {
    const full: Printer = { displayName: `Printer ${printer.id.slice(0, 4)}`, hasPhysicalDevice: true, ...printer };
    this.printers.set(printer.id.toLowerCase(), full);
    return full;
  }

  /** A job whose task (ours) is processing, as Graph has it when our trigger fired. */
  submitJob(
    printerId: string,
    options: {
      owner?: string | null;
      ownerId?: string;
      configuration?: PrintJob['configuration'];
      document?: string;
    } = {},
  ): { job: PrintJob & { printerId: string }; task: FakeTask } {
    const jobId = this.nextJobId();
    const task: FakeTask = {
      id: this.nextTaskId(),
      definitionId: TASK_DEFINITION_ID,
      state: 'processing',
      printerId,
      jobId,
    };
    const owner = options.owner === undefined ? 'adele@contoso.example' : options.owner;
    const job = {
      id: jobId,
      printerId,
      createdBy:
        owner === null
          ? null
          : { userPrincipalName: owner, id: options.ownerId ?? '0e000000-0000-4000-8000-0000000000a1' },
      status: { state: 'paused' as const },
      configuration: options.configuration ?? { copies: 1, colorMode: 'color' as const },
      documents: [{ id: 'doc-1', displayName: options.document ?? 'Report.pdf', size: 1000 }],
    };
    this.jobs.set(this.jobKey(printerId, jobId), job);
    this.tasks.set(task.id, task);
    return { job, task };
  }

  /** The next `times` calls of `method` throw `error` (before anything changes). */
  fail(method: Method, error: unknown, times = 1): this {
    const queued = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) queued.push(error);
    this.faults.set(method, queued);
    return this;
  }

  callsOf(method: Method): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** The calls that change something at Graph, in order. */
  actions(): string[] {
    const changing = new Set<Method>(['setTaskState', 'updateJobConfiguration', 'redirectJob', 'abortJob']);
    return this.calls
      .filter((c) => changing.has(c.method))
      .map((c) => (c.method === 'setTaskState' ? `setTaskState:${String(c.args[2])}` : c.method));
  }

  async getTask(definitionId: string, taskId: string): Promise<PrintTask> {
    this.enter('getTask', [definitionId, taskId]);
    const task = this.task(definitionId, taskId);
    return this.taskView(task);
  }

  async getJob(
    printerId: string,
    jobId: string,
    options: { documents?: boolean; tasks?: boolean } = {},
  ): Promise<PrintJob> {
    this.enter('getJob', [printerId, jobId, options]);
    const job = this.job(printerId, jobId);
    const { printerId: _printer, documents, ...rest } = job;
    return {
      ...rest,
      status: { ...job.status },
      ...(options.documents ? { documents } : {}),
      ...(options.tasks ? { tasks: this.tasksOf(job).map((t) => this.taskView(t)) } : {}),
    };
  }

  async getPrinter(printerId: string): Promise<Printer> {
    this.enter('getPrinter', [printerId]);
    const printer = this.printers.get(printerId.toLowerCase());
    if (!printer) throw graphError(404);
    return { ...printer };
  }

  async checkMemberGroups(userId: string, groupIds: readonly string[]): Promise<Set<string>> {
    this.enter('checkMemberGroups', [userId, groupIds]);
    const member = this.groups.get(userId) ?? new Set<string>();
    return new Set(groupIds.filter((g) => member.has(g)));
  }

  async setTaskState(
    definitionId: string,
    taskId: string,
    state: 'completed' | 'aborted',
    description: string,
  ): Promise<PrintTask> {
    this.enter('setTaskState', [definitionId, taskId, state, description]);
    const task = this.task(definitionId, taskId);
    if (task.state !== 'processing') throw graphError(400, { code: 'TaskNotProcessing' });
    task.state = state;
    task.description = description;
    const job = this.jobs.get(this.jobKey(task.printerId, task.jobId));
    // Completing the task lets the job go on (it prints); aborting the task alone does not stop the job.
    if (job && state === 'completed' && job.status.state === 'paused') job.status = { state: 'completed' };
    return this.taskView(task);
  }

  async updateJobConfiguration(
    printerId: string,
    jobId: string,
    configuration: PrintJobConfigurationChange,
  ): Promise<PrintJob> {
    this.enter('updateJobConfiguration', [printerId, jobId, configuration]);
    const job = this.jobWithOurTaskProcessing(printerId, jobId);
    job.configuration = { ...job.configuration, ...configuration };
    return this.getJobQuietly(job);
  }

  async redirectJob(
    printerId: string,
    jobId: string,
    destinationPrinterId: string,
    configuration?: PrintJobConfigurationChange,
  ): Promise<PrintJob> {
    this.enter('redirectJob', [printerId, jobId, destinationPrinterId, configuration]);
    const job = this.jobWithOurTaskProcessing(printerId, jobId);
    if (!this.printers.has(destinationPrinterId.toLowerCase())) throw graphError(400, { code: 'InvalidPrinter' });
    const newId = this.nextJobId();
    const moved = {
      ...job,
      id: newId,
      printerId: destinationPrinterId,
      status: { state: 'paused' as const },
      configuration: { ...job.configuration, ...configuration },
      redirectedFrom: jobId,
    };
    this.jobs.set(this.jobKey(destinationPrinterId, newId), moved);
    job.status = { state: 'completed' };
    job.redirectedTo = newId;
    // Graph completes the redirected job's task itself.
    for (const task of this.tasksOf(job)) if (task.state === 'processing') task.state = 'completed';
    return this.getJobQuietly(moved);
  }

  async abortJob(printerId: string, jobId: string, reason?: string): Promise<void> {
    this.enter('abortJob', [printerId, jobId, reason]);
    const job = this.jobWithOurTaskProcessing(printerId, jobId);
    if (job.status.state === 'aborted') throw graphError(400, { code: 'JobAlreadyAborted' });
    job.status = { state: 'aborted', description: reason };
  }

  private enter(method: Method, args: unknown[]): void {
    if (this.record) this.calls.push({ method, args });
    const fault = this.faults.get(method)?.shift();
    if (fault !== undefined) throw fault;
  }

  private jobKey = (printerId: string, jobId: string) => `${printerId.toLowerCase()}/${jobId}`;

  private task(definitionId: string, taskId: string): FakeTask {
    const task = this.tasks.get(taskId);
    if (!task || task.definitionId.toLowerCase() !== definitionId.toLowerCase()) throw graphError(404);
    return task;
  }

  private job(printerId: string, jobId: string) {
    const job = this.jobs.get(this.jobKey(printerId, jobId));
    if (!job) throw graphError(404);
    return job;
  }

  private tasksOf(job: { id: string; printerId: string }): FakeTask[] {
    return [...this.tasks.values()].filter(
      (t) => t.jobId === job.id && t.printerId.toLowerCase() === job.printerId.toLowerCase(),
    );
  }

  /** Update, redirect and abort need a processing task of ours on the job (API reference §1, §7). */
  private jobWithOurTaskProcessing(printerId: string, jobId: string) {
    const job = this.job(printerId, jobId);
    if (!this.tasksOf(job).some((t) => t.state === 'processing')) throw graphError(400, { code: 'NoProcessingTask' });
    return job;
  }

  private taskView(task: FakeTask): PrintTask {
    return {
      id: task.id,
      parentUrl: `https://graph.microsoft.com/v1.0/print/printers/${task.printerId}/jobs/${task.jobId}`,
      status: { state: task.state, description: task.description ?? null },
    };
  }

  private getJobQuietly(job: PrintJob & { printerId: string }): PrintJob {
    const { printerId: _printer, ...rest } = job;
    return { ...rest, status: { ...job.status } };
  }
}

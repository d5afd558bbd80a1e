import { randomUUID } from 'node:crypto';
import { badRequest, conflict, forbidden, notFound } from './errors';
import type { Leniency } from './leniency';
import { UNIVERSAL_PRINT_LIMITS, checkLimits, type UniversalPrintLimits } from './limits';
import type {
  JobConfiguration,
  SimApp,
  SimDefinition,
  SimDocument,
  SimJob,
  SimPrinter,
  SimSubscription,
  SimTask,
  SimTriggerRecord,
  SimSentMail,
  SimUser,
} from './model';

/** Graph's maximum subscription lifetime for print resources. */
export const MAX_SUBSCRIPTION_MINUTES = 4230;

export interface TenantEvents {
  /** A printTask was created on a definition: Graph notifies its subscribers. */
  taskCreated(task: SimTask): void;
}

export type TenantOptions = Leniency;

/** Documented behaviours that are off unless asked for (most tests print far more than a tenant may). */
export interface TenantBehaviour {
  /** Universal Print's service limits (true: the documented figures); off by default. */
  limits?: boolean | Partial<UniversalPrintLimits>;
  /**
   * "Blocked from printing and eventually deleted": a paused job (its task never completed) older
   * than this is deleted by `deleteBlockedJobs()`. Graph gives no figure; unset: never.
   */
  blockedJobLifetimeMs?: number;
  /** The tenant's clock (job times, the 10-minute limit windows, blocked-job age). */
  now?: () => Date;
}

/** What Graph sets a task's description to, whatever the caller sent (printtaskstatus: "Task execution …"). */
export const GRAPH_TASK_DESCRIPTIONS = {
  completed: 'Task execution is completed.',
  aborted: 'Task execution was aborted.',
} as const;

/**
 * The simulated Universal Print tenant: printers, jobs, task definitions, triggers, tasks and
 * subscriptions, with the state changes Graph documents. Permission checks happen in the routes;
 * what is allowed only "while your task is processing" is checked here.
 */
export class Tenant {
  readonly printers = new Map<string, SimPrinter>();
  readonly users = new Map<string, SimUser>();
  readonly apps = new Map<string, SimApp>();
  readonly definitions = new Map<string, SimDefinition>();
  readonly tasks = new Map<string, SimTask>();
  readonly subscriptions = new Map<string, SimSubscription>();
  /** Every trigger ever created, by id, deleted ones included: a task is checked against the one that started it. */
  readonly triggers = new Map<string, SimTriggerRecord>();
  /** Jobs by printer id, then job id. */
  readonly jobs = new Map<string, Map<string, SimJob>>();
  /** Document content by document id, for jobs submitted with some (`$value`); others get a one-page PDF. */
  readonly documentContent = new Map<string, Buffer>();
  /** Mail sent with sendMail, oldest first (GET /_control/outbox). */
  readonly sentMail: SimSentMail[] = [];
  private nextJobId = 1001;

  constructor(
    private readonly graphBaseUrl: () => string,
    private readonly events: TenantEvents,
    /** The lenient behaviours switched on (none by default); see leniency.ts. */
    readonly lenient: Leniency = {},
    readonly behaviour: TenantBehaviour = {},
  ) {}

  now(): Date {
    return this.behaviour.now?.() ?? new Date();
  }

  /** The limits in force, or undefined when the option is off. */
  get limits(): UniversalPrintLimits | undefined {
    const option = this.behaviour.limits;
    if (!option) return undefined;
    return option === true ? UNIVERSAL_PRINT_LIMITS : { ...UNIVERSAL_PRINT_LIMITS, ...option };
  }

  reset(): void {
    for (const map of [
      this.printers,
      this.users,
      this.apps,
      this.definitions,
      this.tasks,
      this.subscriptions,
      this.triggers,
      this.jobs,
    ])
      map.clear();
    this.sentMail.length = 0;
  }

  // ---------- look-ups ----------

  printer(id: string): SimPrinter {
    const printer = this.printers.get(id);
    if (!printer) throw notFound(`Printer ${id}`);
    return printer;
  }

  job(printerId: string, jobId: string): SimJob {
    const job = this.jobs.get(this.printer(printerId).id)?.get(jobId);
    if (!job) throw notFound(`Print job ${jobId}`);
    return job;
  }

  definition(id: string): SimDefinition {
    const definition = this.definitions.get(id);
    if (!definition) throw notFound(`Task definition ${id}`);
    return definition;
  }

  task(definitionId: string, taskId: string): SimTask {
    this.definition(definitionId);
    const task = this.tasks.get(taskId);
    if (!task || task.definitionId !== definitionId) throw notFound(`Task ${taskId}`);
    return task;
  }

  userByUpn(upn: string): SimUser {
    const user = [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase());
    if (!user) throw notFound(`User ${upn}`);
    return user;
  }

  jobUrl(printerId: string, jobId: string): string {
    return `${this.graphBaseUrl()}/print/printers/${printerId}/jobs/${jobId}`;
  }

  // ---------- print jobs ----------

  /**
   * A user prints: the job is paused with a processing task if the printer has a trigger, else it
   * goes to its printer. Over a Universal Print limit (option `limits`), 429 TooManyRequests.
   */
  submitJob(input: {
    printerId: string;
    userPrincipalName: string;
    configuration?: JobConfiguration;
    document?: Partial<SimDocument>;
    /** The document's bytes (e.g. a PDF of N pages); its size is then theirs. */
    content?: Buffer;
  }): { job: SimJob; task?: SimTask } {
    const printer = this.printer(input.printerId);
    // Clients cannot print to a printer that is not accepting jobs (e.g. a virtual printer without attributes).
    if (printer.isAcceptingJobs !== true && !this.lenient.jobsToUnconfiguredPrinters)
      throw badRequest(`Printer ${printer.id} is not accepting jobs.`);
    const user = this.userByUpn(input.userPrincipalName);
    this.checkLimits(printer.id, user.id);
    const job: SimJob = {
      id: String(this.nextJobId++),
      printerId: printer.id,
      createdDateTime: this.now().toISOString(),
      createdBy: { id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName },
      status: {
        state: 'processing',
        description: 'The job is being processed.',
        details: [],
        isAcquiredByPrinter: false,
      },
      configuration: {
        copies: 1,
        colorMode: 'color',
        duplexMode: 'oneSided',
        mediaSize: 'A4',
        pagesPerSheet: 1,
        ...input.configuration,
      },
      documents: [
        {
          id: randomUUID(),
          displayName: input.document?.displayName ?? 'Document.pdf',
          contentType: input.document?.contentType ?? 'application/pdf',
          size: input.content?.length ?? input.document?.size ?? 102_400,
        },
      ],
      taskIds: [],
    };
    if (input.content) this.documentContent.set(job.documents[0]!.id, input.content);
    this.jobsOf(printer.id).set(job.id, job);
    return { job, task: this.startJob(job) };
  }

  private checkLimits(printerId: string, userId?: string): void {
    const limits = this.limits;
    if (!limits) return;
    const all = [...this.jobs.values()].flatMap((m) => [...m.values()]);
    checkLimits(limits, all, { printerId, ...(userId ? { userId } : {}) }, this.now().getTime());
  }

  /** JobStarted: a trigger on the printer holds the job for its task definition; otherwise it goes on. */
  private startJob(job: SimJob): SimTask | undefined {
    const trigger = this.printer(job.printerId).trigger;
    if (!trigger) {
      this.resume(job);
      return undefined;
    }
    // A trigger set on the printer directly (tests do) is recorded on first use.
    if (!this.triggers.has(trigger.id)) this.triggers.set(trigger.id, { ...trigger, printerId: job.printerId });
    job.status = {
      state: 'paused',
      description: 'The job is not a candidate for processing yet.',
      details: [],
      isAcquiredByPrinter: false,
    };
    const task: SimTask = {
      id: randomUUID(),
      definitionId: trigger.definitionId,
      printerId: job.printerId,
      jobId: job.id,
      triggerId: trigger.id,
      status: { state: 'processing', description: '' },
      createdDateTime: this.now().toISOString(),
    };
    this.tasks.set(task.id, task);
    job.taskIds.push(task.id);
    this.events.taskCreated(task);
    return task;
  }

  /**
   * The job goes on to its printer. A virtual printer (no device) never fetches it: the job waits,
   * `pending` and acquired by no printer, until Universal Print deletes it. Only a redirect to a
   * physical printer, or an abort, ends a pull-queue job (lenient `virtualPrintersPrint`: it prints).
   */
  private resume(job: SimJob): void {
    if (this.printer(job.printerId).hasPhysicalDevice || this.lenient.virtualPrintersPrint) {
      this.print(job);
      return;
    }
    job.status = {
      state: 'pending',
      description: 'The job is waiting for its printer to fetch it; the printer has no device.',
      details: [],
      isAcquiredByPrinter: false,
    };
  }

  private print(job: SimJob): void {
    job.status = {
      state: 'completed',
      description: 'The job completed successfully.',
      details: ['completedSuccessfully'],
      isAcquiredByPrinter: true,
    };
  }

  /**
   * The processing task "started by a trigger that the requesting app created" on this job; the
   * operations below need one. The trigger that started the task decides, even if it has since been
   * deleted or replaced (lenient `currentTriggerDecides`: the printer's current trigger).
   */
  private ourProcessingTask(job: SimJob, appId: string): SimTask {
    const creatorOf = (task: SimTask) =>
      this.lenient.currentTriggerDecides
        ? this.printer(task.printerId).trigger?.createdByAppId
        : this.triggers.get(task.triggerId)?.createdByAppId;
    const task = job.taskIds
      .map((id) => this.tasks.get(id))
      .find((t) => t && t.status.state === 'processing' && creatorOf(t) === appId);
    if (!task) {
      throw badRequest(
        'The operation requires a printTask in processing state created by a trigger of the calling application.',
      );
    }
    return task;
  }

  updateJobConfiguration(printerId: string, jobId: string, configuration: JobConfiguration, appId: string): SimJob {
    const job = this.job(printerId, jobId);
    this.ourProcessingTask(job, appId);
    job.configuration = { ...job.configuration, ...configuration };
    return job;
  }

  redirectJob(
    printerId: string,
    jobId: string,
    destinationPrinterId: string,
    configuration: JobConfiguration | undefined,
    appId: string,
  ): SimJob {
    const job = this.job(printerId, jobId);
    const task = this.ourProcessingTask(job, appId);
    const destination = this.printers.get(destinationPrinterId);
    if (!destination) throw badRequest(`Destination printer ${destinationPrinterId} does not exist.`);
    if (destination.id === job.printerId) throw badRequest("The destination printer is the job's own printer.");
    if (!destination.isAcceptingJobs) throw badRequest('The destination printer is not accepting jobs.');
    this.refuseIfStopped(destination);
    this.checkLimits(destination.id);
    const moved: SimJob = {
      ...structuredClone(job),
      id: String(this.nextJobId++),
      printerId: destination.id,
      createdDateTime: this.now().toISOString(),
      configuration: { ...job.configuration, ...configuration },
      redirectedFrom: this.jobUrl(job.printerId, job.id),
      taskIds: [],
    };
    this.jobsOf(destination.id).set(moved.id, moved);
    job.redirectedTo = this.jobUrl(destination.id, moved.id);
    job.status = {
      state: 'completed',
      description: 'The job was redirected to another printer.',
      details: [],
      isAcquiredByPrinter: false,
    };
    // Graph completes the task of a redirected job itself.
    task.status = { state: 'completed', description: GRAPH_TASK_DESCRIPTIONS.completed };
    this.startJob(moved);
    return moved;
  }

  abortJob(printerId: string, jobId: string, reason: string | undefined, appId: string): void {
    const job = this.job(printerId, jobId);
    const task = this.ourProcessingTask(job, appId);
    job.status = {
      state: 'aborted',
      description: reason ?? 'The job was aborted.',
      details: [],
      isAcquiredByPrinter: false,
    };
    if (this.lenient.abortEndsTask) task.status = { state: 'aborted', description: GRAPH_TASK_DESCRIPTIONS.aborted };
  }

  cancelJob(printerId: string, jobId: string): void {
    const job = this.job(printerId, jobId);
    job.status = { state: 'canceled', description: 'The job was canceled.', details: [], isAcquiredByPrinter: false };
  }

  /**
   * "Blocked from printing and eventually deleted": deletes every paused job (no task of it ever
   * completed) older than `olderThanMs` (default: the `blockedJobLifetimeMs` option; 0 deletes every
   * blocked job now). Its tasks stay as they were: the app must still end them. Returns the jobs deleted.
   */
  deleteBlockedJobs(olderThanMs = this.behaviour.blockedJobLifetimeMs): SimJob[] {
    if (olderThanMs === undefined) return [];
    const cutoff = this.now().getTime() - olderThanMs;
    const deleted: SimJob[] = [];
    for (const jobs of this.jobs.values())
      for (const job of [...jobs.values()])
        if (job.status.state === 'paused' && Date.parse(job.createdDateTime) <= cutoff) {
          jobs.delete(job.id);
          deleted.push(job);
        }
    return deleted;
  }

  /** Fault injection: the job disappears while its task is still processing. */
  deleteJob(printerId: string, jobId: string): void {
    this.job(printerId, jobId);
    this.jobs.get(printerId)?.delete(jobId);
  }

  /** Strict (see leniency.ts printToStoppedPrinters): nothing is sent to a printer that cannot print. */
  private refuseIfStopped(printer: SimPrinter): void {
    if (printer.status?.state === 'stopped' && !this.lenient.printToStoppedPrinters)
      throw conflict(
        `The printer ${printer.displayName} is stopped (${printer.status.details.join(', ') || 'no details'}).`,
      );
  }

  // ---------- tasks ----------

  updateTask(definitionId: string, taskId: string, state: string, description: string | undefined): SimTask {
    const task = this.task(definitionId, taskId);
    if (state !== 'completed' && state !== 'aborted')
      throw badRequest(`A task can be set to completed or aborted, not ${state}.`);
    if (task.status.state !== 'processing') throw badRequest(`The task is ${task.status.state}, not processing.`);
    if (state === 'completed') {
      const printer = this.printers.get(task.printerId);
      if (printer) this.refuseIfStopped(printer);
    }
    // Graph recalculates the description (the docs' example sends "completed" and gets this back).
    task.status = {
      state,
      description: this.lenient.keepTaskDescription ? (description ?? '') : GRAPH_TASK_DESCRIPTIONS[state],
    };
    const job = this.jobs.get(task.printerId)?.get(task.jobId);
    if (job && job.status.state === 'paused') {
      const tasks = job.taskIds.map((id) => this.tasks.get(id));
      const stillHeld = tasks.some((t) => t?.status.state === 'processing');
      const anyAborted = tasks.some((t) => t?.status.state === 'aborted');
      if (state === 'aborted' && this.lenient.taskAbortAbortsJob) {
        job.status = {
          state: 'aborted',
          description: description ?? 'Aborted by a print task.',
          details: [],
          isAcquiredByPrinter: false,
        };
      } else if (!stillHeld && !anyAborted) {
        this.resume(job);
      }
      // An aborted task does not abort its job (that is jobs/{id}/abort): the job stays paused, blocked.
    }
    return task;
  }

  // ---------- task definitions and triggers ----------

  createDefinition(displayName: string, app: SimApp): SimDefinition {
    if (!displayName) throw badRequest('displayName is required.');
    const definition: SimDefinition = {
      id: randomUUID(),
      displayName,
      createdBy: { appId: app.clientId, displayName: app.displayName },
    };
    this.definitions.set(definition.id, definition);
    return definition;
  }

  deleteDefinition(id: string): void {
    this.definition(id);
    this.definitions.delete(id);
    for (const printer of this.printers.values()) if (printer.trigger?.definitionId === id) this.forgetTrigger(printer);
  }

  /** The printer loses its trigger; the record stays (its tasks still name it), marked deleted. */
  private forgetTrigger(printer: SimPrinter): void {
    const record = printer.trigger && this.triggers.get(printer.trigger.id);
    if (record) record.deletedDateTime = this.now().toISOString();
    delete printer.trigger;
  }

  createTrigger(printerId: string, definitionId: string, appId: string): NonNullable<SimPrinter['trigger']> {
    const printer = this.printer(printerId);
    const definition = this.definition(definitionId);
    if (definition.createdBy.appId !== appId) {
      throw forbidden('The application creating the trigger must be the application that created the task definition.');
    }
    if (printer.trigger) throw conflict('Only one task trigger can be specified per printer.');
    printer.trigger = { id: randomUUID(), definitionId, createdByAppId: appId };
    this.triggers.set(printer.trigger.id, { ...printer.trigger, printerId });
    return printer.trigger;
  }

  deleteTrigger(printerId: string, triggerId: string): void {
    const printer = this.printer(printerId);
    if (printer.trigger?.id !== triggerId) throw notFound(`Task trigger ${triggerId}`);
    this.forgetTrigger(printer);
  }

  // ---------- subscriptions ----------

  validateExpiration(value: unknown, now: Date): string {
    const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(time)) throw badRequest('expirationDateTime is required and must be a date.');
    if (time <= now.getTime()) throw badRequest('Subscription expiration must be in the future.');
    if (time > now.getTime() + MAX_SUBSCRIPTION_MINUTES * 60_000) {
      throw badRequest(`Subscription expiration can only be ${MAX_SUBSCRIPTION_MINUTES} minutes in the future.`);
    }
    return new Date(time).toISOString();
  }

  private jobsOf(printerId: string): Map<string, SimJob> {
    let jobs = this.jobs.get(printerId);
    if (!jobs) this.jobs.set(printerId, (jobs = new Map()));
    return jobs;
  }
}

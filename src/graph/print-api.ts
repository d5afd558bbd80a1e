import { GraphError, RedirectHandlerOptions, ResponseType, type Client } from '@microsoft/microsoft-graph-client';
import type { z } from 'zod';
import { boundedRetryOptions } from './graph-client';
import { parseRetryAfter } from './graph-errors';
import { filterEquals, filterStartsWithAny, type EncodedFilter } from './odata-filter';
import {
  appRoleAssignmentSchema,
  collectionOf,
  printJobSchema,
  printTaskDefinitionSchema,
  printTaskSchema,
  printTaskTriggerSchema,
  printOperationSchema,
  printerSchema,
  printerShareSchema,
  servicePrincipalSchema,
  subscriptionSchema,
  type PrintJob,
  type PrintJobConfigurationChange,
  type PrintTask,
  type PrintTaskDefinition,
  type PrintTaskTrigger,
  type PrintOperation,
  type Printer,
  type PrinterShare,
  type ServicePrincipal,
  type AppRoleAssignment,
  type Subscription,
} from './print-schemas';

/** A user as the directory look-up returns them: never more than these three. */
export interface Person {
  id: string;
  displayName?: string;
  userPrincipalName?: string;
}

const personOf = (user: { id?: string; displayName?: string | null; userPrincipalName?: string | null }): Person[] =>
  user.id
    ? [
        {
          id: user.id,
          ...(user.displayName ? { displayName: user.displayName } : {}),
          ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}),
        },
      ]
    : [];

/** One path segment, encoded: ids come from notifications and must never change the path. */
const seg = encodeURIComponent;

/**
 * A RAW response (the SDK hands those back whatever their status) as the SDK's own error when it
 * failed, so a 403 on printer registration is explained like any other Graph refusal.
 */
async function okOrGraphError(raw: unknown): Promise<Response> {
  const response = raw as Response;
  if (response.ok) return response;
  const text = await response.text().catch(() => '');
  let body: { error?: { code?: string; message?: string } } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  const error = new GraphError(response.status, body?.error?.message ?? (text.slice(0, 300) || response.statusText));
  error.code = body?.error?.code ?? null;
  error.headers = response.headers;
  error.body = text;
  throw error;
}

function retryAfterOf(response: Response): { retryAfterSeconds?: number } {
  const seconds = parseRetryAfter(response.headers.get('retry-after'));
  return seconds === undefined ? {} : { retryAfterSeconds: seconds };
}

/** For a look-up with a time budget (while the policy decides): how long Graph's Retry-After may be waited out. */
export interface LookupOptions {
  maxRetryAfterSeconds: number;
}

export interface DownloadLimits {
  /** More than this many bytes: the document is not read (pages unknown). */
  maxBytes: number;
  /** For the whole download, both requests. */
  timeoutMs: number;
  /** Longest Graph Retry-After waited out in-process (default 0: the caller retries). */
  maxRetryAfterSeconds?: number;
  /** For tests: the fetch that reads the pre-authenticated URL. */
  fetch?: typeof fetch;
}

export type DocumentDownload = { bytes: Uint8Array } | { tooLarge: { maxBytes: number; size?: number } };

/** The body, in memory, up to `maxBytes`; beyond that the rest is not read. */
async function readCapped(response: Response, maxBytes: number): Promise<DocumentDownload> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    return { tooLarge: { maxBytes, size: declared } };
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return { tooLarge: { maxBytes } };
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { bytes };
}

/** Graph's most pages we follow in one listing; a safety stop, far above any tenant's printers. */
const MAX_PAGES = 100;

/**
 * The Universal Print and subscription calls Release Gate makes, typed and validated. Every
 * method is one Graph request (plus paging); permissions are noted where they are not obvious.
 */
export class PrintApi {
  constructor(private readonly client: Client) {}

  // --- print tasks (app: PrintTaskDefinition.ReadWrite.All) ---

  async getTask(definitionId: string, taskId: string): Promise<PrintTask> {
    return this.get(`/print/taskDefinitions/${seg(definitionId)}/tasks/${seg(taskId)}`, printTaskSchema);
  }

  async listTasks(definitionId: string): Promise<PrintTask[]> {
    return this.list(`/print/taskDefinitions/${seg(definitionId)}/tasks`, printTaskSchema);
  }

  /** Ends a task: `completed` lets the job print, `aborted` does not. */
  async setTaskState(
    definitionId: string,
    taskId: string,
    state: 'completed' | 'aborted',
    description: string,
  ): Promise<PrintTask> {
    const body = { status: { state, description: description.slice(0, 250) } };
    return printTaskSchema.parse(
      await this.client.api(`/print/taskDefinitions/${seg(definitionId)}/tasks/${seg(taskId)}`).patch(body),
    );
  }

  // --- task definitions (app only) ---

  async listTaskDefinitions(): Promise<PrintTaskDefinition[]> {
    return this.list('/print/taskDefinitions', printTaskDefinitionSchema);
  }

  async createTaskDefinition(displayName: string): Promise<PrintTaskDefinition> {
    return printTaskDefinitionSchema.parse(
      await this.client.api('/print/taskDefinitions').post({ displayName, createdBy: { displayName } }),
    );
  }

  async deleteTaskDefinition(definitionId: string): Promise<void> {
    await this.client.api(`/print/taskDefinitions/${seg(definitionId)}`).delete();
  }

  // --- jobs and printers (app: PrintJob.ReadBasic.All to read, PrintJob.Manage.All to change; + Printer.Read.All) ---

  /** With `tasks`, one call tells both the job and whether our task is still processing. */
  async getJob(
    printerId: string,
    jobId: string,
    options: { documents?: boolean; tasks?: boolean } = {},
  ): Promise<PrintJob> {
    const request = this.client.api(`/print/printers/${seg(printerId)}/jobs/${seg(jobId)}`);
    const expand = [options.documents ? 'documents' : '', options.tasks ? 'tasks' : ''].filter(Boolean);
    if (expand.length > 0) request.expand(expand);
    return printJobSchema.parse(await request.get());
  }

  async listJobs(printerId: string, ownerUpn?: string): Promise<PrintJob[]> {
    const filter = ownerUpn ? filterEquals('createdBy/userPrincipalName', ownerUpn) : undefined;
    return this.list(`/print/printers/${seg(printerId)}/jobs`, printJobSchema, filter);
  }

  async getPrinter(printerId: string, options?: LookupOptions): Promise<Printer> {
    const request = this.client.api(`/print/printers/${seg(printerId)}`);
    if (options) request.middlewareOptions([boundedRetryOptions(options.maxRetryAfterSeconds)]);
    return printerSchema.parse(await request.get());
  }

  /**
   * Only what a release needs to know first: can the printer print now (Printer.Read.All). Asked
   * while a user waits, so a long Retry-After is not waited out (the caller answers "busy").
   */
  async getPrinterStatus(printerId: string, options: LookupOptions = { maxRetryAfterSeconds: 2 }): Promise<Printer> {
    return printerSchema.parse(
      await this.client
        .api(`/print/printers/${seg(printerId)}`)
        .select(['id', 'displayName', 'isAcceptingJobs', 'status'])
        .middlewareOptions([boundedRetryOptions(options.maxRetryAfterSeconds)])
        .get(),
    );
  }

  async listPrinters(): Promise<Printer[]> {
    return this.list('/print/printers', printerSchema);
  }

  /**
   * Writes a virtual printer's attributes: `group` is the IPP Printer Attributes group alone. Application
   * token only (Printer.ReadWrite.All), and only the app that registered the printer; Graph answers 204.
   */
  async updatePrinterAttributes(printerId: string, group: Buffer): Promise<void> {
    await okOrGraphError(
      await this.client
        .api(`/print/printers/${seg(printerId)}`)
        .header('Content-Type', 'application/ipp')
        .responseType(ResponseType.RAW)
        .patch(group),
    );
  }

  /** Only while our task is processing on the job. */
  async updateJobConfiguration(
    printerId: string,
    jobId: string,
    configuration: PrintJobConfigurationChange,
  ): Promise<PrintJob> {
    return printJobSchema.parse(
      await this.client.api(`/print/printers/${seg(printerId)}/jobs/${seg(jobId)}`).patch({ configuration }),
    );
  }

  /** Moves the job to another printer; Graph completes our task itself. Returns the new job. */
  async redirectJob(
    printerId: string,
    jobId: string,
    destinationPrinterId: string,
    configuration?: PrintJobConfigurationChange,
  ): Promise<PrintJob> {
    const body = configuration ? { destinationPrinterId, configuration } : { destinationPrinterId };
    return printJobSchema.parse(
      await this.client.api(`/print/printers/${seg(printerId)}/jobs/${seg(jobId)}/redirect`).post(body),
    );
  }

  /** Apps cannot cancel (delegated only); they abort, with a reason the user sees. */
  async abortJob(printerId: string, jobId: string, reason?: string): Promise<void> {
    await this.client
      .api(`/print/printers/${seg(printerId)}/jobs/${seg(jobId)}/abort`)
      .post(reason ? { reason: reason.slice(0, 250) } : {});
  }

  // --- document content (app: PrintJob.Read.All or ReadWrite.All; only when page counting is on) ---

  /**
   * A job document's bytes, in memory, for counting its pages. Graph answers `$value` with a 302 to a
   * pre-authenticated URL on another host: the redirect is not followed by the SDK (which would carry
   * our bearer token along), and the URL is fetched without any token. More than `maxBytes`: `tooLarge`,
   * nothing kept. Throttling, server errors, network errors and the time limit are thrown, to be retried.
   */
  async downloadDocument(
    printerId: string,
    jobId: string,
    documentId: string,
    limits: DownloadLimits,
  ): Promise<DocumentDownload> {
    const signal = AbortSignal.timeout(limits.timeoutMs);
    const request = this.client
      .api(`/print/printers/${seg(printerId)}/jobs/${seg(jobId)}/documents/${seg(documentId)}/$value`)
      .middlewareOptions([
        new RedirectHandlerOptions(0, () => false),
        boundedRetryOptions(limits.maxRetryAfterSeconds ?? 0),
      ])
      .option('signal', signal)
      .responseType(ResponseType.RAW);
    let response: Response;
    try {
      response = (await request.get()) as Response;
      // The 302 is the expected answer; anything else that is not OK is Graph's error.
      if (response.status < 300 || response.status >= 400) response = await okOrGraphError(response);
    } catch (error) {
      if (error instanceof GraphError && (error.statusCode === 401 || error.statusCode === 403)) {
        error.message =
          'Reading a job document needs the application permission PrintJob.Read.All (page counting: ' +
          `RELEASE_GATE_ALLOW_PAGE_COUNTING=true in azd, then azd provision). Graph said: ${error.message}`;
      }
      throw error;
    }
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      await response.body?.cancel();
      if (!location) throw new Error(`Graph answered ${response.status} for a job document without a Location.`);
      const url = new URL(location);
      if (url.protocol !== 'https:')
        throw new Error(`A job document's download URL must be https, not ${url.protocol}`);
      // Pre-authenticated: no Authorization header, no credentials of ours, to a host that is not Graph.
      response = await (limits.fetch ?? fetch)(url, { signal, redirect: 'follow', credentials: 'omit' });
      if (!response.ok) {
        await response.body?.cancel();
        // Retried: a fresh $value gives a fresh URL (this one may have expired, or the host may be failing).
        throw new Error(`The job document's download URL answered ${response.status}.`);
      }
    }
    return readCapped(response, limits.maxBytes);
  }

  // --- directory (app: GroupMember.Read.All; only when a policy rule uses groups) ---

  /** Which of these groups the user is a member of (transitively). */
  async checkMemberGroups(userId: string, groupIds: readonly string[], options?: LookupOptions): Promise<Set<string>> {
    const request = this.client.api(`/users/${seg(userId)}/checkMemberGroups`);
    if (options) request.middlewareOptions([boundedRetryOptions(options.maxRetryAfterSeconds)]);
    const response = (await request.post({ groupIds })) as { value?: unknown };
    return new Set(
      Array.isArray(response.value) ? response.value.filter((v): v is string => typeof v === 'string') : [],
    );
  }

  /** The user whose directory attribute (e.g. employeeId, from a badge) has this value (app: User.Read.All). */
  async findUserByAttribute(
    attribute: string,
    value: string,
  ): Promise<{ id: string; userPrincipalName: string } | undefined> {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(attribute)) throw new Error(`Not an attribute name: ${attribute}`);
    const response = (await this.client
      .api('/users')
      .filter(filterEquals(attribute, value))
      .select(['id', 'userPrincipalName'])
      .get()) as { value?: { id?: string; userPrincipalName?: string }[] };
    const [user, other] = response.value ?? [];
    // Two users with the same badge number is a directory error: release nothing rather than guess.
    if (!user?.id || !user.userPrincipalName || other) return undefined;
    return { id: user.id, userPrincipalName: user.userPrincipalName };
  }

  // --- directory: people for delegates (application: User.ReadBasic.All, opt-in) ---

  /** Up to 10 users whose name, mail or UPN starts with the text: id, name and UPN only. */
  async searchPeople(text: string): Promise<Person[]> {
    const response = (await this.client
      .api('/users')
      .filter(filterStartsWithAny(['displayName', 'mail', 'userPrincipalName'], text))
      .select(['id', 'displayName', 'userPrincipalName'])
      .top(10)
      .get()) as { value?: { id?: string; displayName?: string | null; userPrincipalName?: string | null }[] };
    return (response.value ?? []).flatMap(personOf).slice(0, 10);
  }

  /** One user by object id (id, name, UPN), or undefined when the directory has no such user. */
  async findPerson(id: string): Promise<Person | undefined> {
    try {
      const user = (await this.client
        .api(`/users/${seg(id)}`)
        .select(['id', 'displayName', 'userPrincipalName'])
        .get()) as { id?: string; displayName?: string | null; userPrincipalName?: string | null };
      return personOf(user)[0];
    } catch (error) {
      if (error instanceof GraphError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  // --- the app's own registration (delegated: Application.Read.All; for npm run doctor) ---

  /** The service principal of an app in this tenant, by the app's (client) id. */
  async getServicePrincipalByAppId(appId: string): Promise<ServicePrincipal> {
    return this.get(`/servicePrincipals(appId='${seg(appId)}')`, servicePrincipalSchema);
  }

  /** The application permissions granted (with admin consent) to a service principal. */
  async listAppRoleAssignments(servicePrincipalId: string): Promise<AppRoleAssignment[]> {
    return this.list(`/servicePrincipals/${seg(servicePrincipalId)}/appRoleAssignments`, appRoleAssignmentSchema);
  }

  // --- task triggers (delegated only: a Printer Administrator signed in to our own app) ---

  async listTaskTriggers(printerId: string): Promise<PrintTaskTrigger[]> {
    // Graph's examples show only id and event, and no page documents `$expand=definition`: whose trigger it is
    // comes from our own record (src/setup/trigger-record.ts).
    return this.list(`/print/printers/${seg(printerId)}/taskTriggers`, printTaskTriggerSchema);
  }

  async createTaskTrigger(printerId: string, definitionUrl: string): Promise<PrintTaskTrigger> {
    return printTaskTriggerSchema.parse(
      await this.client
        .api(`/print/printers/${seg(printerId)}/taskTriggers`)
        .post({ event: 'jobStarted', 'definition@odata.bind': definitionUrl }),
    );
  }

  async deleteTaskTrigger(printerId: string, triggerId: string): Promise<void> {
    await this.client.api(`/print/printers/${seg(printerId)}/taskTriggers/${seg(triggerId)}`).delete();
  }

  // --- printer registration and shares (delegated only: a Printer Administrator) ---

  /**
   * Registers a printer: a long-running operation. Returns the operation's URL (Graph's
   * `Operation-Location` header) and how long Graph asks us to wait before the first look.
   */
  async createPrinter(request: {
    displayName: string;
    manufacturer: string;
    model: string;
    hasPhysicalDevice: boolean;
    physicalDeviceId?: string | null;
    certificateSigningRequest: { content: string; transportKey: string };
    connectorId?: string | null;
  }): Promise<{ operationUrl: string; retryAfterSeconds?: number }> {
    // RAW: the answer is a 202 whose only content is in its headers.
    const response = await okOrGraphError(
      await this.client.api('/print/printers/create').responseType(ResponseType.RAW).post(request),
    );
    const operationUrl = response.headers.get('operation-location');
    if (!operationUrl) throw new Error('printers/create answered without an Operation-Location header.');
    return { operationUrl, ...retryAfterOf(response) };
  }

  /**
   * A printer registration's state, by its `Operation-Location` URL or id. The request goes to our own
   * Graph base (never to a host named by a header); `retryAfterSeconds` is Graph's pacing, if it gave one.
   */
  async getPrintOperation(urlOrId: string): Promise<PrintOperation & { retryAfterSeconds?: number }> {
    const id = /\/print\/operations\/([^/?#]+)/.exec(urlOrId)?.[1] ?? urlOrId;
    const response = await okOrGraphError(
      await this.client
        .api(`/print/operations/${seg(decodeURIComponent(id))}`)
        .responseType(ResponseType.RAW)
        .get(),
    );
    return { ...printOperationSchema.parse(await response.json()), ...retryAfterOf(response) };
  }

  /** A printer's share (Graph allows at most one per printer). */
  async listPrinterShares(printerId: string): Promise<PrinterShare[]> {
    return this.list(`/print/printers/${seg(printerId)}/shares`, printerShareSchema);
  }

  async getShare(shareId: string): Promise<PrinterShare> {
    return this.get(`/print/shares/${seg(shareId)}`, printerShareSchema);
  }

  /** `printerUrl` is the printer's full Graph URL, as `printer@odata.bind` requires. */
  async createPrinterShare(printerUrl: string, displayName: string, allowAllUsers: boolean): Promise<PrinterShare> {
    return printerShareSchema.parse(
      await this.client.api('/print/shares').post({ displayName, allowAllUsers, 'printer@odata.bind': printerUrl }),
    );
  }

  // --- subscriptions (app: PrintTaskDefinition.ReadWrite.All for task resources) ---

  async listSubscriptions(): Promise<Subscription[]> {
    return this.list('/subscriptions', subscriptionSchema);
  }

  async createSubscription(subscription: {
    resource: string;
    changeType: string;
    notificationUrl: string;
    lifecycleNotificationUrl?: string;
    clientState: string;
    expirationDateTime: string;
  }): Promise<Subscription> {
    return subscriptionSchema.parse(await this.client.api('/subscriptions').post(subscription));
  }

  /** Renews; per Graph, a PATCH of the expiration also reauthorizes. */
  async renewSubscription(subscriptionId: string, expirationDateTime: string): Promise<Subscription> {
    return subscriptionSchema.parse(
      await this.client.api(`/subscriptions/${seg(subscriptionId)}`).patch({ expirationDateTime }),
    );
  }

  async deleteSubscription(subscriptionId: string): Promise<void> {
    await this.client.api(`/subscriptions/${seg(subscriptionId)}`).delete();
  }

  // --- helpers ---

  private async get<T extends z.ZodType>(path: string, schema: T): Promise<z.infer<T>> {
    return schema.parse(await this.client.api(path).get());
  }

  private async list<T extends z.ZodType>(
    path: string,
    schema: T,
    filter?: EncodedFilter,
    expand?: string,
  ): Promise<z.infer<T>[]> {
    const page = collectionOf(schema);
    const request = this.client.api(path);
    if (filter) request.filter(filter);
    if (expand) request.expand(expand);
    let current = page.parse(await request.get());
    const items: z.infer<T>[] = [...current.value];
    for (let pages = 1; current['@odata.nextLink'] && pages < MAX_PAGES; pages++) {
      current = page.parse(await this.client.api(current['@odata.nextLink']).get());
      items.push(...current.value);
    }
    return items;
  }
}

import { randomUUID } from 'node:crypto';
import { directoryRoutes } from './directory-routes';
import { mailRoutes } from './mail-routes';
import { pdfWithPages } from './document-content';
import { GraphHttpError, badRequest, conflict, forbidden, notFound } from './errors';
import type { TokenClaims } from './identity-provider';
import type { SimDefinition, SimJob, SimPrinter, SimSubscription, SimTask } from './model';
import type { Notifier } from './notifier';
import type { PrinterRegistry, SimShare } from './printer-registry';
import type { Tenant } from './tenant';
import { applyIppUpdate, applyJsonUpdate } from './printer-attributes';

/**
 * The Graph v1.0 endpoints Release Gate uses, with the permissions Graph documents for each
 * (application vs delegated), so a permission mistake fails here as it would in a tenant.
 */
export interface GraphRequest {
  method: string;
  /** Path after the version, e.g. /print/printers/{id}/jobs */
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** The body as sent (binary for application/ipp), and its Content-Type. */
  bytes?: Buffer;
  contentType?: string;
  claims: TokenClaims;
}

export interface GraphResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (request: GraphRequest, params: string[]) => Promise<GraphResult> | GraphResult;

const PRINTER_READ = ['Printer.Read.All', 'Printer.ReadWrite.All', 'Printer.FullControl.All'];
/** Printer.FullControl.All is delegated only: an app reads printers with one of these. */
const APP_PRINTER_READ = ['Printer.Read.All', 'Printer.ReadWrite.All'];
/**
 * Get/List printJob for applications (printjob-get.md, printer-list-jobs.md): PrintJob.Manage.All is not
 * in the tables, although its description says it reads metadata. Strict: refused (see leniency.ts).
 */
const JOB_READ = [
  'PrintJob.ReadBasic.All',
  'PrintJob.Read.All',
  'PrintJob.ReadWriteBasic.All',
  'PrintJob.ReadWrite.All',
];
const JOB_WRITE = ['PrintJob.ReadWriteBasic.All', 'PrintJob.ReadWrite.All', 'PrintJob.Manage.All'];
const PRINTER_CREATE = ['Printer.Create', 'Printer.ReadWrite.All', 'Printer.FullControl.All'];
const SHARE_READ = ['PrinterShare.ReadBasic.All', 'PrinterShare.Read.All', 'PrinterShare.ReadWrite.All'];
/** Access control (allowAllUsers, allowedUsers, allowedGroups): ReadBasic.All "does not allow reading" it. */
const SHARE_ACCESS_READ = ['PrinterShare.Read.All', 'PrinterShare.ReadWrite.All'];
const isPrinterAdministrator = (claims: TokenClaims) =>
  (claims.wids ?? []).includes('644ef478-e28f-4e28-b9dc-3fdde9aa0b1f');
const mayReadShareAccess = (claims: TokenClaims) =>
  SHARE_ACCESS_READ.some((p) => (claims.scp ?? '').split(' ').includes(p));

/**
 * `startswith(displayName,'x') or startswith(userPrincipalName,'x') …` on the properties Graph filters
 * users by without advanced queries; undefined for any other filter.
 */
function startsWithTerms(
  filter: string,
): { property: 'displayName' | 'userPrincipalName' | 'mail'; value: string }[] | undefined {
  // Term by term, each literal read whole (a quote inside is doubled), so ' or ' inside a value stays in it.
  const term = /startswith\((displayName|userPrincipalName|mail),'((?:[^']|'')*)'\)(?:\s+or\s+|$)/y;
  const terms: { property: 'displayName' | 'userPrincipalName' | 'mail'; value: string }[] = [];
  while (term.lastIndex < filter.length) {
    const m = term.exec(filter);
    if (!m) return undefined;
    terms.push({ property: m[1] as 'displayName' | 'userPrincipalName' | 'mail', value: m[2]!.replace(/''/g, "'") });
  }
  return terms.length > 0 && /\)$/.test(filter) ? terms : undefined;
}

/** Application permission check: one of `anyOf`, and for each group in `alsoOneOf`, one of it. */
function requireApp(claims: TokenClaims, operation: string, anyOf: string[], alsoOneOf: string[][] = []): void {
  if (claims.idtyp !== 'app')
    throw forbidden(`${operation} does not support delegated (user) tokens; use an application token.`);
  const roles = claims.roles ?? [];
  for (const group of [anyOf, ...alsoOneOf]) {
    if (!group.some((p) => roles.includes(p))) {
      throw new GraphHttpError(
        403,
        'AccessDenied',
        `${operation} needs one of these application permissions: ${group.join(', ')}.`,
      );
    }
  }
}

function requireDelegated(claims: TokenClaims, operation: string, anyOf: string[], printerAdministrator = true): void {
  if (claims.idtyp !== 'user')
    throw forbidden(`${operation} is not supported with application permissions; sign in a user.`);
  const scopes = (claims.scp ?? '').split(' ');
  if (!anyOf.some((p) => scopes.includes(p))) {
    throw new GraphHttpError(
      403,
      'AccessDenied',
      `${operation} needs one of these delegated permissions: ${anyOf.join(', ')}.`,
    );
  }
  if (printerAdministrator && !(claims.wids ?? []).includes('644ef478-e28f-4e28-b9dc-3fdde9aa0b1f')) {
    throw new GraphHttpError(
      403,
      'AccessDenied',
      `${operation} needs the signed-in user to be a Printer Administrator.`,
    );
  }
}

const body = (request: GraphRequest): Record<string, unknown> =>
  request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};

export function graphRoutes(
  tenant: Tenant,
  notifier: Notifier,
  registry: PrinterRegistry,
  graphBaseUrl: () => string,
  /** A short-lived pre-authenticated URL for a document's content (the simulator's /_content/). */
  downloadUrl: (content: Buffer, contentType: string) => string,
): [string, RegExp, Handler][] {
  // Lists for a user who is not a Printer Administrator carry a limited set of properties (print-list-shares),
  // and nobody without PrinterShare.Read.All sees the access control.
  const shareJson = (share: SimShare, expand: Set<string>, showAccess = true) => ({
    id: share.id,
    displayName: share.displayName,
    ...(showAccess ? { allowAllUsers: share.allowAllUsers } : {}),
    createdDateTime: share.createdDateTime,
    isAcceptingJobs: true,
    ...(expand.has('printer') ? { printer: printerJson(tenant.printer(share.printerId)) } : {}),
  });
  const printerJson = (p: SimPrinter) => ({
    id: p.id,
    displayName: p.displayName,
    manufacturer: 'Simulated',
    model: p.hasPhysicalDevice ? 'Laser 9000' : 'Virtual queue',
    isShared: p.isShared,
    hasPhysicalDevice: p.hasPhysicalDevice,
    isAcceptingJobs: p.isAcceptingJobs,
    location: p.location,
    status: p.status ?? { state: 'idle', details: [], description: '' },
    ...(p.capabilities ? { capabilities: p.capabilities } : {}),
    ...(p.defaults ? { defaults: p.defaults } : {}),
  });
  /** The docs' examples of List/Get taskTriggers show only id and event; `definition` is a relationship. */
  const triggerJson = (trigger: NonNullable<SimPrinter['trigger']>) => ({
    id: trigger.id,
    event: 'jobStarted',
    ...(tenant.lenient.embedTriggerDefinition
      ? { definition: definitionJson(tenant.definition(trigger.definitionId)) }
      : {}),
  });
  const taskJson = (t: SimTask) => ({
    id: t.id,
    parentUrl: tenant.jobUrl(t.printerId, t.jobId),
    status: { ...t.status },
  });
  const definitionJson = (d: SimDefinition) => ({ id: d.id, displayName: d.displayName, createdBy: d.createdBy });
  const jobJson = (j: SimJob, expand: Set<string>) => ({
    id: j.id,
    createdDateTime: j.createdDateTime,
    createdBy: j.createdBy,
    status: j.status,
    configuration: j.configuration,
    isFetchable: j.status.state === 'processing',
    redirectedFrom: j.redirectedFrom ?? null,
    redirectedTo: j.redirectedTo ?? null,
    ...(expand.has('documents') ? { documents: j.documents } : {}),
    ...(expand.has('tasks')
      ? {
          tasks: j.taskIds
            .map((id) => tenant.tasks.get(id))
            .filter((t): t is SimTask => !!t)
            .map(taskJson),
        }
      : {}),
  });
  const subscriptionJson = (s: SimSubscription) => {
    const { lifecycleSentFor: _sent, ...rest } = s;
    return {
      ...rest,
      includeResourceData: null,
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationQueryOptions: null,
    };
  };
  const expandOf = (query: URLSearchParams) =>
    new Set(
      (query.get('$expand') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  const list = (value: unknown[]) => ({ status: 200, body: { value } });
  const jobRead = () => (tenant.lenient.manageAllReadsJobs ? [...JOB_READ, 'PrintJob.Manage.All'] : JOB_READ);
  const appOf = (claims: TokenClaims) => {
    const app = tenant.apps.get(claims.appid);
    if (!app) throw forbidden('The calling application is not registered in the tenant.');
    return app;
  };
  const definitionIdFromBind = (bind: unknown) => {
    const match = typeof bind === 'string' ? /\/print\/taskDefinitions\/([^/?]+)$/.exec(bind) : null;
    if (!match?.[1]) throw badRequest('definition@odata.bind must be a task definition URL.');
    return match[1];
  };

  const routes: [string, string, Handler][] = [
    // --- task definitions (application only) ---
    [
      'GET',
      '/print/taskDefinitions',
      ({ claims }) => {
        requireApp(claims, 'List taskDefinitions', ['PrintTaskDefinition.ReadWrite.All']);
        return list([...tenant.definitions.values()].map(definitionJson));
      },
    ],
    [
      'POST',
      '/print/taskDefinitions',
      (request) => {
        requireApp(request.claims, 'Create taskDefinition', ['PrintTaskDefinition.ReadWrite.All']);
        const displayName = body(request).displayName;
        if (typeof displayName !== 'string') throw badRequest('displayName is required.');
        return { status: 201, body: definitionJson(tenant.createDefinition(displayName, appOf(request.claims))) };
      },
    ],
    [
      'GET',
      '/print/taskDefinitions/([^/]+)',
      ({ claims }, [id]) => {
        requireApp(claims, 'Get taskDefinition', ['PrintTaskDefinition.ReadWrite.All']);
        return { status: 200, body: definitionJson(tenant.definition(id!)) };
      },
    ],
    [
      'PATCH',
      '/print/taskDefinitions/([^/]+)',
      (request, [id]) => {
        requireApp(request.claims, 'Update taskDefinition', ['PrintTaskDefinition.ReadWrite.All']);
        const definition = tenant.definition(id!);
        const displayName = body(request).displayName;
        if (typeof displayName === 'string') definition.displayName = displayName;
        return { status: 200, body: definitionJson(definition) };
      },
    ],
    [
      'DELETE',
      '/print/taskDefinitions/([^/]+)',
      ({ claims }, [id]) => {
        requireApp(claims, 'Delete taskDefinition', ['PrintTaskDefinition.ReadWrite.All']);
        tenant.deleteDefinition(id!);
        return { status: 204 };
      },
    ],
    [
      'GET',
      '/print/taskDefinitions/([^/]+)/tasks',
      ({ claims }, [id]) => {
        requireApp(claims, 'List tasks', ['PrintTaskDefinition.ReadWrite.All']);
        tenant.definition(id!);
        return list([...tenant.tasks.values()].filter((t) => t.definitionId === id).map(taskJson));
      },
    ],
    [
      'GET',
      '/print/taskDefinitions/([^/]+)/tasks/([^/]+)',
      ({ claims }, [id, taskId]) => {
        requireApp(claims, 'Get task', ['PrintTaskDefinition.ReadWrite.All']);
        return { status: 200, body: taskJson(tenant.task(id!, taskId!)) };
      },
    ],
    [
      'PATCH',
      '/print/taskDefinitions/([^/]+)/tasks/([^/]+)',
      (request, [id, taskId]) => {
        requireApp(request.claims, 'Update task', ['PrintTaskDefinition.ReadWrite.All']);
        const status = body(request).status as { state?: unknown; description?: unknown } | undefined;
        if (!status || typeof status.state !== 'string') throw badRequest('status.state is required.');
        const task = tenant.updateTask(
          id!,
          taskId!,
          status.state,
          typeof status.description === 'string' ? status.description : undefined,
        );
        return { status: 200, body: taskJson(task) };
      },
    ],

    // --- printer registration (delegated only: a Printer Administrator) and shares ---
    [
      'POST',
      '/print/printers/create',
      async (request) => {
        requireDelegated(request.claims, 'Create printer', PRINTER_CREATE);
        const operation = await registry.create(body(request), request.claims.appid);
        return {
          status: 202,
          headers: { 'operation-location': `${graphBaseUrl()}/print/operations/${operation.id}`, 'retry-after': '1' },
        };
      },
    ],
    [
      'GET',
      '/print/operations/([^/]+)',
      ({ claims }, [id]) => {
        // Like creating the printer: delegated only, a Printer Administrator.
        requireDelegated(claims, 'Get printOperation', PRINTER_CREATE);
        const operation = registry.look(id!);
        const state = operation.failure ? 'failed' : operation.printerId ? 'succeeded' : 'running';
        return {
          status: 200,
          headers: state === 'running' ? { 'retry-after': '1' } : {},
          body: {
            '@odata.type': '#microsoft.graph.printerCreateOperation',
            id: operation.id,
            createdDateTime: operation.createdDateTime,
            status: { state, description: operation.failure ?? '' },
            ...(operation.printerId
              ? { printer: printerJson(tenant.printer(operation.printerId)), certificate: 'simulated-certificate' }
              : {}),
          },
        };
      },
    ],
    [
      'GET',
      '/print/shares',
      ({ claims, query }) => {
        requireDelegated(claims, 'List printerShares', SHARE_READ, false);
        const expand = new Set((query.get('$expand') ?? '').split(','));
        const access = isPrinterAdministrator(claims) && mayReadShareAccess(claims);
        return list([...registry.shares.values()].map((share) => shareJson(share, expand, access)));
      },
    ],
    [
      'GET',
      '/print/shares/([^/]+)',
      ({ claims }, [id]) => {
        requireDelegated(claims, 'Get printerShare', SHARE_READ, false);
        return { status: 200, body: shareJson(registry.share(id!), new Set(), mayReadShareAccess(claims)) };
      },
    ],
    [
      'GET',
      '/print/shares/([^/]+)/allowedUsers',
      ({ claims }, [id]) => {
        requireDelegated(claims, 'List allowedUsers', SHARE_ACCESS_READ, false);
        return list(
          registry.share(id!).allowedUsers.flatMap((userId) => {
            const user = tenant.users.get(userId);
            return user
              ? [{ id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName }]
              : [];
          }),
        );
      },
    ],
    [
      'GET',
      '/print/shares/([^/]+)/allowedGroups',
      ({ claims }, [id]) => {
        requireDelegated(claims, 'List allowedGroups', SHARE_ACCESS_READ, false);
        return list(registry.share(id!).allowedGroups.map((groupId) => ({ id: groupId })));
      },
    ],
    [
      'GET',
      '/print/printers/([^/]+)/shares',
      ({ claims }, [id]) => {
        requireDelegated(claims, 'List printer shares', SHARE_READ, false);
        const printer = tenant.printer(id!);
        const access = isPrinterAdministrator(claims) && mayReadShareAccess(claims);
        return list(
          [...registry.shares.values()]
            .filter((s) => s.printerId === printer.id)
            .map((s) => shareJson(s, new Set(), access)),
        );
      },
    ],
    [
      'POST',
      '/print/shares',
      (request) => {
        requireDelegated(request.claims, 'Create printerShare', ['PrinterShare.ReadWrite.All']);
        const input = body(request);
        const bind = input['printer@odata.bind'];
        const printerId = typeof bind === 'string' ? /\/print\/printers\/([^/]+)$/.exec(bind)?.[1] : undefined;
        if (!printerId) throw badRequest('printer@odata.bind must name a printer (…/print/printers/{id}).');
        return { status: 201, body: shareJson(registry.createShare(input, printerId), new Set()) };
      },
    ],

    // --- printers ---
    [
      'GET',
      '/print/printers',
      ({ claims }) => {
        if (claims.idtyp === 'app') requireApp(claims, 'List printers', APP_PRINTER_READ);
        else requireDelegated(claims, 'List printers', PRINTER_READ, false);
        return list([...tenant.printers.values()].map(printerJson));
      },
    ],
    [
      'GET',
      '/print/printers/([^/]+)',
      ({ claims }, [id]) => {
        if (claims.idtyp === 'app') requireApp(claims, 'Get printer', APP_PRINTER_READ);
        else requireDelegated(claims, 'Get printer', PRINTER_READ, false);
        return { status: 200, body: printerJson(tenant.printer(id!)) };
      },
    ],
    [
      'PATCH',
      '/print/printers/([^/]+)',
      (request, [id]) => {
        const printer = tenant.printer(id!);
        const ipp = /^application\/ipp\b/i.test(request.contentType ?? '');
        if (request.claims.idtyp !== 'app') {
          requireDelegated(request.claims, 'Update printer', ['Printer.ReadWrite.All', 'Printer.FullControl.All']);
          if (ipp) throw badRequest('An IPP payload needs application permissions; delegated updates are JSON.');
          applyJsonUpdate(printer, body(request), false);
          return { status: 200, body: printerJson(printer) };
        }
        requireApp(request.claims, 'Update printer', ['Printer.ReadWrite.All']);
        if (printer.hasPhysicalDevice)
          throw forbidden('Only printers without a physical device can be updated with application permissions.');
        if (printer.registeredByAppId?.toLowerCase() !== request.claims.appid.toLowerCase())
          throw forbidden('Only the app that registered the printer may update it with application permissions.');
        if (!ipp) {
          applyJsonUpdate(printer, body(request), true);
          return { status: 200, body: printerJson(printer) };
        }
        applyIppUpdate(printer, request.bytes ?? Buffer.alloc(0));
        return { status: 204 };
      },
    ],

    // --- jobs ---
    [
      'GET',
      '/print/printers/([^/]+)/jobs',
      ({ claims, query }, [id]) => {
        requireApp(claims, 'List printJobs', jobRead(), [APP_PRINTER_READ]);
        const filter = query.get('$filter');
        const owner = filter
          ? /^createdBy\/userPrincipalName eq '((?:[^']|'')*)'$/.exec(filter.trim())?.[1]?.replace(/''/g, "'")
          : undefined;
        if (filter && owner === undefined) throw badRequest(`Unsupported $filter: ${filter}`);
        tenant.printer(id!);
        const jobs = [...(tenant.jobs.get(id!)?.values() ?? [])].filter(
          (j) => owner === undefined || j.createdBy.userPrincipalName.toLowerCase() === owner.toLowerCase(),
        );
        return list(jobs.map((j) => jobJson(j, expandOf(query))));
      },
    ],
    [
      'GET',
      '/print/printers/([^/]+)/jobs/([^/]+)',
      ({ claims, query }, [id, jobId]) => {
        requireApp(claims, 'Get printJob', jobRead(), [APP_PRINTER_READ]);
        return { status: 200, body: jobJson(tenant.job(id!, jobId!), expandOf(query)) };
      },
    ],
    [
      'GET',
      '/print/printers/([^/]+)/jobs/([^/]+)/documents/([^/]+)/\\$value',
      async ({ claims }, [id, jobId, documentId]) => {
        // printdocument-get-file: content needs PrintJob.Read(.All) or ReadWrite(.All); the Basic ones do not allow it.
        if (claims.idtyp === 'user')
          requireDelegated(
            claims,
            'Download printDocument',
            ['PrintJob.Read', 'PrintJob.Read.All', 'PrintJob.ReadWrite', 'PrintJob.ReadWrite.All'],
            false,
          );
        else requireApp(claims, 'Download printDocument', ['PrintJob.Read.All', 'PrintJob.ReadWrite.All']);
        const document = tenant.job(id!, jobId!).documents.find((d) => d.id === documentId);
        if (!document) throw notFound(`Document ${documentId} not found in job ${jobId}.`);
        const content = tenant.documentContent.get(document.id) ?? (await pdfWithPages(1));
        return { status: 302, headers: { location: downloadUrl(content, document.contentType) } };
      },
    ],
    [
      'PATCH',
      '/print/printers/([^/]+)/jobs/([^/]+)',
      (request, [id, jobId]) => {
        requireApp(request.claims, 'Update printJob', JOB_WRITE, [APP_PRINTER_READ]);
        const configuration = body(request).configuration;
        if (!configuration || typeof configuration !== 'object') throw badRequest('Only configuration can be updated.');
        return {
          status: 200,
          body: jobJson(
            tenant.updateJobConfiguration(id!, jobId!, configuration as SimJob['configuration'], request.claims.appid),
            new Set(),
          ),
        };
      },
    ],
    [
      'POST',
      '/print/printers/([^/]+)/jobs/([^/]+)/redirect',
      (request, [id, jobId]) => {
        requireApp(request.claims, 'Redirect printJob', ['PrintJob.Manage.All']);
        const { destinationPrinterId, configuration } = body(request) as {
          destinationPrinterId?: unknown;
          configuration?: SimJob['configuration'];
        };
        if (typeof destinationPrinterId !== 'string') throw badRequest('destinationPrinterId is required.');
        const moved = tenant.redirectJob(id!, jobId!, destinationPrinterId, configuration, request.claims.appid);
        return { status: 200, body: jobJson(moved, new Set()) };
      },
    ],
    [
      'POST',
      '/print/printers/([^/]+)/jobs/([^/]+)/abort',
      (request, [id, jobId]) => {
        requireApp(request.claims, 'Abort printJob', JOB_WRITE, [APP_PRINTER_READ]);
        const reason = body(request).reason;
        tenant.abortJob(id!, jobId!, typeof reason === 'string' ? reason : undefined, request.claims.appid);
        return { status: 204 };
      },
    ],
    [
      'POST',
      '/print/printers/([^/]+)/jobs/([^/]+)/cancel',
      ({ claims }, [id, jobId]) => {
        requireDelegated(
          claims,
          'Cancel printJob',
          ['PrintJob.ReadWriteBasic', 'PrintJob.ReadWrite', 'PrintJob.ReadWriteBasic.All', 'PrintJob.ReadWrite.All'],
          false,
        );
        tenant.cancelJob(id!, jobId!);
        return { status: 204 };
      },
    ],

    // --- task triggers (delegated only: a Printer Administrator) ---
    [
      'GET',
      '/print/printers/([^/]+)/taskTriggers',
      ({ claims }, [id]) => {
        requireDelegated(claims, 'List taskTriggers', PRINTER_READ);
        const trigger = tenant.printer(id!).trigger;
        return list(trigger ? [triggerJson(trigger)] : []);
      },
    ],
    [
      'GET',
      '/print/printers/([^/]+)/taskTriggers/([^/]+)',
      ({ claims }, [id, triggerId]) => {
        requireDelegated(claims, 'Get taskTrigger', PRINTER_READ);
        const trigger = tenant.printer(id!).trigger;
        if (!trigger || trigger.id !== triggerId) throw notFound(`Task trigger ${triggerId}`);
        return { status: 200, body: triggerJson(trigger) };
      },
    ],
    [
      'POST',
      '/print/printers/([^/]+)/taskTriggers',
      (request, [id]) => {
        requireDelegated(request.claims, 'Create taskTrigger', ['Printer.ReadWrite.All', 'Printer.FullControl.All']);
        const input = body(request);
        if (input.event !== 'jobStarted') throw badRequest('event must be jobStarted.');
        const trigger = tenant.createTrigger(
          id!,
          definitionIdFromBind(input['definition@odata.bind']),
          request.claims.appid,
        );
        return { status: 201, body: { id: trigger.id, event: 'jobStarted' } };
      },
    ],
    [
      'DELETE',
      '/print/printers/([^/]+)/taskTriggers/([^/]+)',
      ({ claims }, [id, triggerId]) => {
        requireDelegated(claims, 'Delete taskTrigger', ['Printer.ReadWrite.All', 'Printer.FullControl.All']);
        tenant.deleteTrigger(id!, triggerId!);
        return { status: 204 };
      },
    ],

    // --- directory: users by attribute (badge release) ---
    [
      'GET',
      '/users',
      ({ claims, query }) => {
        const filter = (query.get('$filter') ?? '').trim();
        // A search by prefix (delegates): List users' least privileged application permission is ReadBasic.All.
        const prefixes = startsWithTerms(filter);
        if (prefixes) {
          requireApp(claims, 'List users', ['User.ReadBasic.All', 'User.Read.All', 'Directory.Read.All']);
          const top = Number(query.get('$top') ?? '100');
          if (!Number.isInteger(top) || top < 1 || top > 999) throw badRequest('$top must be between 1 and 999.');
          const users = [...tenant.users.values()].filter((u) =>
            prefixes.some(({ property, value }) => {
              const field = property === 'mail' ? u.userPrincipalName : u[property];
              return field.toLowerCase().startsWith(value.toLowerCase());
            }),
          );
          return list(
            users
              .slice(0, top)
              .map((u) => ({ id: u.id, displayName: u.displayName, userPrincipalName: u.userPrincipalName })),
          );
        }
        requireApp(claims, 'List users', ['User.Read.All', 'Directory.Read.All']);
        const match = /^(\w+) eq '((?:[^']|'')*)'$/.exec(filter);
        if (!match) throw badRequest("The simulator supports $filter=<attribute> eq '<value>' on users.");
        const [, attribute, raw] = match;
        const value = raw!.replace(/''/g, "'");
        const users = [...tenant.users.values()].filter((u) =>
          attribute === 'userPrincipalName'
            ? u.userPrincipalName.toLowerCase() === value.toLowerCase()
            : u.attributes[attribute!] === value,
        );
        return list(
          users.map((u) => ({ id: u.id, userPrincipalName: u.userPrincipalName, displayName: u.displayName })),
        );
      },
    ],

    // Get user (`/users/{id|upn}`, basic profile with User.ReadBasic.All): mail-routes.ts.

    // --- directory: group membership for policies that use groups ---
    [
      'POST',
      '/users/([^/]+)/checkMemberGroups',
      (request, [userId]) => {
        requireApp(request.claims, 'checkMemberGroups', [
          'GroupMember.Read.All',
          'Group.Read.All',
          'Directory.Read.All',
        ]);
        const user = tenant.users.get(userId!);
        if (!user) throw notFound(`User ${userId}`);
        const wanted = body(request).groupIds;
        if (!Array.isArray(wanted) || wanted.length > 20)
          throw badRequest('groupIds must be an array of at most 20 ids.');
        return list(wanted.filter((g): g is string => typeof g === 'string' && user.groups.includes(g)));
      },
    ],

    ...directoryRoutes(tenant),
    ...mailRoutes(tenant),

    // --- subscriptions (print resources: application only) ---
    [
      'GET',
      '/subscriptions',
      ({ claims }) => {
        requireApp(claims, 'List subscriptions', ['PrintTaskDefinition.ReadWrite.All', ...PRINTER_READ]);
        return list(
          [...tenant.subscriptions.values()].filter((s) => s.applicationId === claims.appid).map(subscriptionJson),
        );
      },
    ],
    [
      'POST',
      '/subscriptions',
      async (request) => {
        requireApp(request.claims, 'Create subscription', ['PrintTaskDefinition.ReadWrite.All']);
        const input = body(request);
        const resource = typeof input.resource === 'string' ? input.resource.replace(/^\//, '') : '';
        const definitionId = /^print\/taskDefinitions\/([^/]+)\/tasks$/i.exec(resource)?.[1];
        if (!definitionId) throw badRequest('resource must be print/taskDefinitions/{id}/tasks.');
        tenant.definition(definitionId);
        if (input.changeType !== 'created') throw badRequest('changeType must be created for print tasks.');
        const notificationUrl = checkUrl(input.notificationUrl, 'notificationUrl');
        const lifecycleUrl =
          input.lifecycleNotificationUrl === undefined || input.lifecycleNotificationUrl === null
            ? null
            : checkUrl(input.lifecycleNotificationUrl, 'lifecycleNotificationUrl');
        const clientState = typeof input.clientState === 'string' ? input.clientState : null;
        if (clientState && clientState.length > 128) throw badRequest('clientState must be at most 128 characters.');
        const expirationDateTime = tenant.validateExpiration(input.expirationDateTime, new Date());
        const duplicate = [...tenant.subscriptions.values()].find(
          (s) => s.resource.toLowerCase() === resource.toLowerCase() && s.changeType === 'created',
        );
        if (duplicate) throw conflict(`Subscription Id ${duplicate.id} already exists for the requested combination.`);
        for (const url of [notificationUrl, lifecycleUrl].filter((u): u is string => !!u)) {
          const check = await notifier.validate(url);
          if (!check.ok)
            throw badRequest(
              `Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request: ${check.reason}.`,
            );
        }
        const subscription: SimSubscription = {
          id: randomUUID(),
          resource,
          changeType: 'created',
          notificationUrl,
          lifecycleNotificationUrl: lifecycleUrl,
          clientState,
          expirationDateTime,
          applicationId: request.claims.appid,
          creatorId: request.claims.oid ?? request.claims.appid,
          latestSupportedTlsVersion: 'v1_2',
          notificationContentType: 'application/json',
        };
        tenant.subscriptions.set(subscription.id, subscription);
        return { status: 201, body: subscriptionJson(subscription) };
      },
    ],
    [
      'GET',
      '/subscriptions/([^/]+)',
      ({ claims }, [id]) => {
        requireApp(claims, 'Get subscription', ['PrintTaskDefinition.ReadWrite.All', ...PRINTER_READ]);
        return { status: 200, body: subscriptionJson(ownSubscription(id!, claims)) };
      },
    ],
    [
      'PATCH',
      '/subscriptions/([^/]+)',
      (request, [id]) => {
        requireApp(request.claims, 'Update subscription', ['PrintTaskDefinition.ReadWrite.All']);
        const subscription = ownSubscription(id!, request.claims);
        const input = body(request);
        if (input.expirationDateTime !== undefined) {
          subscription.expirationDateTime = tenant.validateExpiration(input.expirationDateTime, new Date());
        }
        if (typeof input.notificationUrl === 'string')
          subscription.notificationUrl = checkUrl(input.notificationUrl, 'notificationUrl');
        return { status: 200, body: subscriptionJson(subscription) };
      },
    ],
    [
      'DELETE',
      '/subscriptions/([^/]+)',
      ({ claims }, [id]) => {
        requireApp(claims, 'Delete subscription', ['PrintTaskDefinition.ReadWrite.All']);
        ownSubscription(id!, claims);
        tenant.subscriptions.delete(id!);
        return { status: 204 };
      },
    ],
    [
      'POST',
      '/subscriptions/([^/]+)/reauthorize',
      ({ claims }, [id]) => {
        requireApp(claims, 'Reauthorize subscription', ['PrintTaskDefinition.ReadWrite.All']);
        ownSubscription(id!, claims);
        return { status: 204 };
      },
    ],
  ];

  function ownSubscription(id: string, claims: TokenClaims): SimSubscription {
    const subscription = tenant.subscriptions.get(id);
    if (!subscription || subscription.applicationId !== claims.appid) throw notFound(`Subscription ${id}`);
    return subscription;
  }

  function checkUrl(value: unknown, name: string): string {
    if (typeof value !== 'string') throw badRequest(`${name} is required.`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw badRequest(`${name} must be a URL.`);
    }
    // Graph requires https; the sandbox's local Functions host is plain http on loopback.
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
    if (url.protocol !== 'https:' && !(loopback && url.protocol === 'http:'))
      throw badRequest(`${name} must be an https URL.`);
    return value;
  }

  return routes.map(([method, pattern, handler]) => [method, new RegExp(`^${pattern}/?$`, 'i'), handler]);
}

import { randomUUID } from 'node:crypto';
import { pdfWithPages } from './document-content';
import { GraphHttpError } from './errors';
import type { FaultInput, Faults } from './faults';
import type { IdentityProvider } from './identity-provider';
import type { SimApp, SimPrinter, SimUser } from './model';
import type { Notifier } from './notifier';
import { requestFilterFromQuery, type RequestLog } from './request-log';
import type { Tenant } from './tenant';

/**
 * The simulator's control API (`/_control/...`, no Graph auth, JSON): seed a tenant, submit print
 * jobs as users, read back state, inject faults. Documented in sandbox/simulator/README.md.
 */
export function controlRoutes(deps: {
  tenant: Tenant;
  notifier: Notifier;
  faults: Faults;
  identity: IdentityProvider;
  requests: RequestLog;
}) {
  const { tenant, notifier, faults, identity, requests } = deps;
  type Result = { status: number; body?: unknown };
  const ok = (body: unknown, status = 200): Result => ({ status, body });
  const input = (body: unknown) => (body && typeof body === 'object' ? (body as Record<string, unknown>) : {});

  const routes: [
    string,
    RegExp,
    (params: string[], query: URLSearchParams, body: Record<string, unknown>) => Result | Promise<Result>,
  ][] = [
    [
      'POST',
      /^\/reset$/,
      () => {
        tenant.reset();
        faults.clear();
        requests.clear();
        return ok({ reset: true });
      },
    ],
    [
      'POST',
      /^\/seed$/,
      (_p, _q, body) => {
        for (const p of (body.printers as Partial<SimPrinter>[] | undefined) ?? []) {
          const printer: SimPrinter = {
            id: p.id ?? randomUUID(),
            displayName: p.displayName ?? 'Printer',
            location: p.location ?? {},
            hasPhysicalDevice: p.hasPhysicalDevice ?? true,
            isShared: p.isShared ?? true,
            isAcceptingJobs: p.isAcceptingJobs ?? true,
          };
          tenant.printers.set(printer.id, printer);
        }
        for (const u of (body.users as Partial<SimUser>[] | undefined) ?? []) {
          if (!u.userPrincipalName) throw new GraphHttpError(400, 'BadRequest', 'users need userPrincipalName');
          const user: SimUser = {
            id: u.id ?? randomUUID(),
            userPrincipalName: u.userPrincipalName,
            displayName: u.displayName ?? u.userPrincipalName,
            groups: u.groups ?? [],
            attributes: u.attributes ?? {},
            roles: u.roles ?? [],
            ...(u.mail ? { mail: u.mail } : {}),
            ...(u.preferredLanguage ? { preferredLanguage: u.preferredLanguage } : {}),
          };
          tenant.users.set(user.id, user);
        }
        for (const a of (body.apps as Partial<SimApp>[] | undefined) ?? []) {
          if (!a.clientId || !a.secret) throw new GraphHttpError(400, 'BadRequest', 'apps need clientId and secret');
          tenant.apps.set(a.clientId, {
            clientId: a.clientId,
            secret: a.secret,
            displayName: a.displayName ?? 'App',
            applicationPermissions: a.applicationPermissions ?? [],
            delegatedPermissions: a.delegatedPermissions ?? [],
            ...(a.mailScope ? { mailScope: a.mailScope } : {}),
          });
        }
        return ok({ printers: tenant.printers.size, users: tenant.users.size, apps: tenant.apps.size });
      },
    ],
    ['GET', /^\/printers$/, () => ok({ value: [...tenant.printers.values()] })],
    ['GET', /^\/users$/, () => ok({ value: [...tenant.users.values()] })],
    // Mail the app sent with sendMail (from, to, subject, text, at), oldest first; cleared by reset.
    ['GET', /^\/outbox$/, () => ok({ value: tenant.sentMail })],
    [
      'POST',
      /^\/printers\/([^/]+)\/status$/,
      ([id], _q, body) => {
        // Graph's printerStatus as a device would report it: out of paper is stopped + mediaEmpty.
        const state = body.state ?? 'idle';
        const details = body.details ?? [];
        const description = body.description ?? '';
        if (
          typeof state !== 'string' ||
          !Array.isArray(details) ||
          !details.every((d) => typeof d === 'string') ||
          typeof description !== 'string'
        )
          throw new GraphHttpError(400, 'BadRequest', 'send { state, details: string[], description }');
        const printer = tenant.printer(id!);
        printer.status = { state, details: details, description };
        return ok({ id: printer.id, status: printer.status });
      },
    ],
    [
      'POST',
      /^\/jobs$/,
      async (_p, _q, body) => {
        const document = input(body.document);
        // `document.pages`: the job's document is a real PDF of that many pages (its size is the PDF's).
        const { pages, ...metadata } = document;
        if (
          pages !== undefined &&
          (typeof pages !== 'number' || !Number.isInteger(pages) || pages < 1 || pages > 10_000)
        )
          throw new Error(`document.pages must be a whole number from 1 to 10000, not ${JSON.stringify(pages)}.`);
        const result = tenant.submitJob({
          printerId: String(body.printerId ?? ''),
          userPrincipalName: String(body.userPrincipalName ?? ''),
          configuration: body.configuration as Record<string, unknown> | undefined,
          document: body.document === undefined ? undefined : metadata,
          ...(pages === undefined ? {} : { content: await pdfWithPages(pages) }),
        });
        return ok(result, 201);
      },
    ],
    [
      'GET',
      /^\/jobs$/,
      (_p, query) => {
        const printerId = query.get('printerId');
        const jobs = [...tenant.jobs.values()]
          .flatMap((m) => [...m.values()])
          .filter((j) => !printerId || j.printerId === printerId);
        return ok({ value: jobs });
      },
    ],
    ['GET', /^\/jobs\/([^/]+)\/([^/]+)$/, ([printerId, jobId]) => ok(tenant.job(printerId!, jobId!))],
    [
      'POST',
      /^\/jobs\/([^/]+)\/([^/]+)\/delete$/,
      ([printerId, jobId]) => {
        tenant.deleteJob(printerId!, jobId!);
        return ok({ deleted: true });
      },
    ],
    ['GET', /^\/tasks$/, () => ok({ value: [...tenant.tasks.values()] })],
    ['GET', /^\/definitions$/, () => ok({ value: [...tenant.definitions.values()] })],
    ['GET', /^\/subscriptions$/, () => ok({ value: [...tenant.subscriptions.values()] })],
    [
      'POST',
      /^\/subscriptions\/([^/]+)\/lifecycle$/,
      ([id], _q, body) => {
        const subscription = tenant.subscriptions.get(id!);
        if (!subscription) throw new GraphHttpError(404, 'NotFound', 'No such subscription');
        const event = String(body.event ?? 'reauthorizationRequired');
        // For print resources Graph's only lifecycle event is reauthorizationRequired.
        if (event !== 'reauthorizationRequired' && !tenant.lenient.nonPrintLifecycleEvents)
          throw new GraphHttpError(
            400,
            'BadRequest',
            `Graph sends print subscriptions only reauthorizationRequired, not ${event.slice(0, 64)} ` +
              '(lenient flag nonPrintLifecycleEvents allows it)',
          );
        notifier.lifecycle(subscription, event);
        return ok({ sent: true });
      },
    ],
    ['POST', /^\/subscriptions\/([^/]+)\/expire$/, ([id]) => ok({ removed: tenant.subscriptions.delete(id!) })],
    [
      'GET',
      /^\/stats$/,
      () => {
        // Judge every endpoint now, so the states shown are current.
        for (const endpoint of Object.keys(notifier.stats.endpoints)) notifier.endpointHealth(endpoint);
        return ok({ ...notifier.stats, latenciesMs: undefined, faults: faults.list() });
      },
    ],
    ['POST', /^\/faults$/, (_p, _q, body) => ok(faults.add(body as unknown as FaultInput), 201)],
    [
      'DELETE',
      /^\/faults$/,
      () => {
        faults.clear();
        return ok({ cleared: true });
      },
    ],
    ['GET', /^\/faults$/, () => ok({ value: faults.list() })],
    [
      'GET',
      /^\/faults\/([^/]+)$/,
      ([id]) => {
        const rule = faults.get(decodeURIComponent(id!));
        if (!rule) throw new GraphHttpError(404, 'NotFound', 'No such fault rule');
        return ok(rule);
      },
    ],
    [
      'DELETE',
      /^\/faults\/([^/]+)$/,
      ([id]) => {
        if (!faults.remove(decodeURIComponent(id!))) throw new GraphHttpError(404, 'NotFound', 'No such fault rule');
        return ok({ removed: true });
      },
    ],
    [
      'GET',
      /^\/requests$/,
      (_p, query) => ok({ value: requests.find(requestFilterFromQuery(query)), evicted: requests.evicted }),
    ],
    [
      'DELETE',
      /^\/requests$/,
      () => {
        requests.clear();
        return ok({ cleared: true });
      },
    ],
    [
      'POST',
      /^\/notifications\/drop$/,
      (_p, _q, body) => {
        notifier.dropNext(String(body.taskDefinitionId ?? ''), Number(body.count ?? 1));
        return ok({ dropping: Number(body.count ?? 1) });
      },
    ],
    [
      'POST',
      /^\/users\/([^/]+)\/token$/,
      async ([upn], _q, body) =>
        ok({
          token: await identity.userToken(decodeURIComponent(upn!), String(body.audience ?? ''), {
            expiresInSeconds: typeof body.expiresInSeconds === 'number' ? body.expiresInSeconds : undefined,
            ...(body.kind === 'id' ? { kind: 'id' as const } : {}),
            ...(typeof body.clientId === 'string' ? { clientId: body.clientId } : {}),
            ...(typeof body.scope === 'string' || body.scope === null ? { scope: body.scope } : {}),
          }),
        }),
    ],
    [
      'POST',
      /^\/device-codes\/([^/]+)\/approve$/,
      ([code], _q, body) => {
        const approved = identity.approveDeviceCode(code!, String(body.userPrincipalName ?? ''));
        return ok({ approved }, approved ? 200 : 404);
      },
    ],
  ];

  return async (method: string, path: string, query: URLSearchParams, body: unknown): Promise<Result> => {
    const route = routes.find(([m, pattern]) => m === method && pattern.test(path));
    if (!route)
      return { status: 404, body: { error: { code: 'NotFound', message: `No control route ${method} ${path}` } } };
    try {
      return await route[2](route[1].exec(path)!.slice(1), query, input(body));
    } catch (error) {
      if (error instanceof GraphHttpError) {
        // A submission over a Universal Print limit says when to try again, as Graph's Retry-After would.
        const retryAfter = error.headers['retry-after'];
        return {
          status: error.status,
          body: {
            error: {
              code: error.code,
              message: error.message,
              ...(retryAfter ? { retryAfterSeconds: Number(retryAfter) } : {}),
            },
          },
        };
      }
      return { status: 400, body: { error: { code: 'BadRequest', message: (error as Error).message } } };
    }
  };
}

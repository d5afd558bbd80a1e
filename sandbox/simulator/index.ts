import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureDevCertificates } from '../tls/dev-certificates';
import { controlRoutes } from './control-api';
import { GraphHttpError } from './errors';
import { Faults } from './faults';
import { graphRoutes } from './graph-routes';
import { PrinterRegistry } from './printer-registry';
import { IdentityProvider, type IdentityDirectory } from './identity-provider';
import type { SimTask } from './model';
import { Notifier, type NotifierOptions } from './notifier';
import { RequestLog } from './request-log';
import { Tenant, type TenantBehaviour } from './tenant';
import type { Leniency } from './leniency';
import { seedDemoShares, seedDemoTenant, type DemoTenant } from './demo-tenant';
import { DocumentLinks } from './document-content';
import { BrowserSignIn, type SignInResult } from './sign-in';

/**
 * The Universal Print simulator: a stateful stand-in for the Microsoft Graph endpoints Release Gate
 * uses and for Entra ID's token endpoints, served over HTTPS on loopback. The real Graph SDK and
 * `@azure/identity` work against it with a different base URL and authority host. Never deployed.
 */
export interface SimulatorOptions {
  port?: number;
  /** The address to listen on and to name in its URLs (default 127.0.0.1; the sandbox's `--lan` gives another). */
  address?: string;
  tenantId?: string;
  /** Whether aborting a job also ends the task (Graph's docs leave it open; default no). */
  abortEndsTask?: boolean;
  /** Lenient behaviours to switch back on by name (tests that show what a lenient stand-in hides). */
  lenient?: Leniency;
  /** Universal Print's service limits (jobs per 10 minutes, concurrent jobs); off by default. See limits.ts. */
  limits?: TenantBehaviour['limits'];
  /** Paused (blocked) jobs older than this are deleted, as Universal Print "eventually" does; unset: never. */
  blockedJobLifetimeMs?: number;
  /** Delivery schedule and throttling (Graph's real-time values by default; tests scale them down). */
  notifier?: Partial<NotifierOptions>;
  /** Send reauthorizationRequired this long before a subscription expires. */
  lifecycleLeadMinutes?: number;
  /**
   * Graph also challenges a subscription at random, "from once every few minutes to rarely": after
   * each challenge the next comes after a random time in [minMs, maxMs]. Default 5 minutes to 6 hours;
   * false sends only the challenge before expiry.
   */
  reauthorizationEveryMs?: { minMs: number; maxMs: number } | false;
  /** How often expiry and lifecycle are checked. */
  sweepIntervalMs?: number;
  /** Seed the demo tenant (printers, users, the Release Gate app). Default true. */
  seedDemo?: boolean;
  /** Share the demo printers (who may print where; seedDemoShares). Default true; false leaves them unshared. */
  seedDemoShares?: boolean;
  /** How long a document's pre-authenticated download URL works. Default 60 s. */
  documentLinkLifetimeMs?: number;
  /** How many Graph requests the request log keeps (oldest dropped first). Default 10 000. */
  requestLogSize?: number;
}

export interface Simulator {
  url: string;
  graphBaseUrl: string;
  authorityHost: string;
  tenantId: string;
  tenant: Tenant;
  notifier: Notifier;
  faults: Faults;
  /** The Graph requests served (method, path, status, caller): for tests that count calls. */
  requests: RequestLog;
  identity: IdentityProvider;
  /** Printer registrations (long-running operations) and printer shares. */
  printerRegistry: PrinterRegistry;
  /** The browser sign-in (authorization code with PKCE) for single-page apps such as the release page. */
  signIn: BrowserSignIn;
  demo?: DemoTenant;
  /** Resolves when every pending notification delivery (with retries) has finished. */
  deliveriesSettled(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_TENANT_ID = '00000000-0000-4000-8000-000000000001';

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
  let origin = '';
  const graphBaseUrl = () => `${origin}/v1.0`;
  const notifier = new Notifier({ ...options.notifier }, tenantId);
  const tenant = new Tenant(
    graphBaseUrl,
    {
      taskCreated: (task: SimTask) =>
        notifier.taskCreated(task, tenant.subscriptions.values(), tenant.jobUrl(task.printerId, task.jobId)),
    },
    { ...options.lenient, abortEndsTask: options.abortEndsTask ?? options.lenient?.abortEndsTask },
    { limits: options.limits, blockedJobLifetimeMs: options.blockedJobLifetimeMs },
  );
  const directory: IdentityDirectory = { apps: tenant.apps, users: tenant.users };
  const identity = new IdentityProvider(() => origin, tenantId, directory);
  await identity.init();
  const signIn = new BrowserSignIn(
    identity,
    () => tenant.users.values(),
    (clientId) => tenant.apps.has(clientId),
    options.lenient,
  );
  const faults = new Faults();
  const requests = new RequestLog(options.requestLogSize);
  const printerRegistry = new PrinterRegistry(tenant);
  const documentLinks = new DocumentLinks(options.documentLinkLifetimeMs);
  const graph = graphRoutes(
    tenant,
    notifier,
    printerRegistry,
    graphBaseUrl,
    (content, contentType) => `${origin}${documentLinks.create(content, contentType)}`,
  );
  const control = controlRoutes({ tenant, notifier, faults, identity, requests });

  const address = options.address ?? '127.0.0.1';
  const { serverKey, serverCert } = await ensureDevCertificates(undefined, { addresses: [address] });
  const server = https.createServer({ key: serverKey, cert: serverCert }, (req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalServerError', message: String(error) } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const method = (req.method ?? 'GET').toUpperCase();
    const bytes = await readBody(req);
    const raw = bytes.toString('utf8');
    const path = url.pathname;

    // Entra ID: discovery, keys, tokens, device codes.
    const tenantPrefix = `/${tenantId}`;
    if (path.startsWith(tenantPrefix) || path.startsWith('/common') || path.startsWith('/organizations')) {
      const rest = path.replace(/^\/[^/]+/, '');
      if (rest === '/v2.0/.well-known/openid-configuration') return sendJson(res, 200, identity.openIdConfiguration());
      if (rest === '/discovery/v2.0/keys') return sendJson(res, 200, identity.jwks());
      if (rest === '/oauth2/v2.0/authorize' && (method === 'GET' || method === 'POST'))
        return sendSignIn(
          res,
          method === 'GET'
            ? signIn.authorize(url.searchParams, req.headers.cookie)
            : signIn.approve(new URLSearchParams(raw)),
        );
      if (rest === '/oauth2/v2.0/logout' && method === 'GET')
        return sendSignIn(res, signIn.logout(url.searchParams, req.headers.cookie));
      if (rest === '/oauth2/v2.0/token' && method === 'POST') {
        const form = new URLSearchParams(raw);
        const cors = signIn.corsHeaders(req.headers.origin);
        const grant = form.get('grant_type');
        if (grant === 'authorization_code' || grant === 'refresh_token') {
          const result =
            grant === 'refresh_token'
              ? await signIn.refresh(form, req.headers.origin)
              : await signIn.redeem(form, req.headers.origin);
          return sendJson(res, result.status, result.json, cors);
        }
        const result = await identity.token(form);
        return sendJson(res, result.status, result.body, cors);
      }
      if (rest === '/oauth2/v2.0/devicecode' && method === 'POST') {
        const result = identity.deviceCode(new URLSearchParams(raw));
        return sendJson(res, result.status, result.body);
      }
      return sendJson(res, 404, { error: 'not_found' });
    }

    // A document's pre-authenticated download URL ($value's redirect): no Graph token, and none accepted.
    const download = /^\/_content\/([A-Za-z0-9_-]+)$/.exec(path);
    if (download && method === 'GET') {
      const answer = documentLinks.answer(download[1]!, req.headers.authorization);
      res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
      return;
    }

    if (path.startsWith('/_control/')) {
      const result = await control(method, path.slice('/_control'.length), url.searchParams, parseJson(raw));
      return sendJson(res, result.status, result.body);
    }

    const version = /^\/(v1\.0|beta)(\/.*)$/.exec(path);
    if (!version) return sendJson(res, 404, { error: { code: 'BadRequest', message: 'Invalid version.' } });
    const graphPath = version[2]!;
    const requestId = randomUUID();
    res.setHeader('request-id', requestId);
    res.setHeader('client-request-id', String(req.headers['client-request-id'] ?? requestId));

    // The caller is known before faults apply, so the request log names it even for injected failures.
    const caller = await identity.verify(req.headers.authorization).then(
      (claims) => ({ claims }),
      (error: unknown) => ({ error }),
    );
    const logged = requests.track(res, {
      method,
      path: graphPath,
      tokenKind: 'claims' in caller ? caller.claims.idtyp : 'none',
      appId: 'claims' in caller ? caller.claims.appid : undefined,
    });

    const matchedFaults = faults.match(method, graphPath);
    logged.faultIds.push(...matchedFaults.map((fault) => fault.id));
    for (const fault of matchedFaults) {
      if (fault.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.status) {
        const headers: Record<string, string> =
          fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
        const code =
          fault.status === 429 ? 'TooManyRequests' : fault.status === 503 ? 'ServiceUnavailable' : 'InjectedFault';
        return sendJson(
          res,
          fault.status,
          { error: { code, message: 'Injected by the simulator.', innerError: { 'request-id': requestId } } },
          headers,
        );
      }
    }

    try {
      if ('error' in caller) throw caller.error;
      const { claims } = caller;
      const route = graph.find(([m, pattern]) => m === method && pattern.test(graphPath));
      if (!route) throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${graphPath}'.`);
      const params = route[1]
        .exec(graphPath)!
        .slice(1)
        .map((p) => decodeURIComponent(p));
      const result = await route[2](
        {
          method,
          path: graphPath,
          query: url.searchParams,
          body: parseJson(raw),
          bytes,
          contentType: String(req.headers['content-type'] ?? ''),
          claims,
        },
        params,
      );
      if (result.status === 204 || result.body === undefined) {
        res.writeHead(result.status, result.headers).end();
        return;
      }
      sendJson(
        res,
        result.status,
        { '@odata.context': `${graphBaseUrl()}/$metadata`, ...(result.body as object) },
        result.headers,
      );
    } catch (error) {
      if (!(error instanceof GraphHttpError)) throw error;
      sendJson(
        res,
        error.status,
        {
          error: {
            code: error.code,
            message: error.message,
            innerError: { 'request-id': requestId, date: new Date().toISOString() },
          },
        },
        error.headers,
      );
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, address, () => resolve());
  });
  origin = `https://${urlHost(address)}:${(server.address() as AddressInfo).port}`;
  const demo = options.seedDemo === false ? undefined : seedDemoTenant(tenant);
  if (demo && options.seedDemoShares !== false) seedDemoShares(printerRegistry, demo);
  // The sandbox's admin signs in without a browser: device codes are approved as them.
  if (demo) directory.autoApproveUpn = demo.adminUpn;

  // Expiry and lifecycle: subscriptions past their expiry are removed; reauthorizationRequired is sent
  // ahead of expiry, and also at random times in between, as Graph challenges a subscription repeatedly.
  const leadMs = (options.lifecycleLeadMinutes ?? 60) * 60_000;
  const challenges = options.reauthorizationEveryMs ?? { minMs: 5 * 60_000, maxMs: 6 * 3600_000 };
  const nextChallenge = new Map<string, number>();
  const randomGap = (range: { minMs: number; maxMs: number }) =>
    range.minMs + Math.random() * Math.max(0, range.maxMs - range.minMs);
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const id of nextChallenge.keys()) if (!tenant.subscriptions.has(id)) nextChallenge.delete(id);
    tenant.deleteBlockedJobs();
    for (const subscription of [...tenant.subscriptions.values()]) {
      const expires = Date.parse(subscription.expirationDateTime);
      if (expires <= now) {
        tenant.subscriptions.delete(subscription.id);
        continue;
      }
      if (expires - now <= leadMs && subscription.lifecycleSentFor !== subscription.expirationDateTime) {
        subscription.lifecycleSentFor = subscription.expirationDateTime;
        notifier.lifecycle(subscription, 'reauthorizationRequired');
      }
      if (!challenges) continue;
      const due = nextChallenge.get(subscription.id);
      if (due === undefined) nextChallenge.set(subscription.id, now + randomGap(challenges));
      else if (due <= now) {
        nextChallenge.set(subscription.id, now + randomGap(challenges));
        notifier.lifecycle(subscription, 'reauthorizationRequired');
      }
    }
  }, options.sweepIntervalMs ?? 1000);
  sweep.unref();

  return {
    url: origin,
    graphBaseUrl: graphBaseUrl(),
    authorityHost: origin,
    tenantId,
    tenant,
    notifier,
    faults,
    requests,
    identity,
    signIn,
    printerRegistry,
    demo,
    deliveriesSettled: () => notifier.drain(),
    async stop() {
      clearInterval(sweep);
      notifier.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The body as sent: bytes (an IPP printer update is binary); JSON and forms are read from its UTF-8 text. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function sendSignIn(res: ServerResponse, result: SignInResult): void {
  if (result.json) return sendJson(res, result.status, result.json, result.headers);
  res.writeHead(result.status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    ...result.headers,
  });
  res.end(result.html ?? '');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; odata.metadata=minimal; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** An address as a URL names it (an IPv6 address in brackets). */
export function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

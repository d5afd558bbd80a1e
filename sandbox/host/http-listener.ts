import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { HttpRequest, HttpResponse, type HttpRequestInit } from '@azure/functions';
import type { HttpRegistration } from './registrations';
import { isAuthorized, presentedKey, type HostKeys } from './host-keys';
import { createInvocationContext, withTimeout, type HostLogSink } from './invocation';

/** Longest an HTTP-triggered call may take on Azure (the load balancer's idle timeout). */
const HTTP_LIMIT_MS = 230_000;

/** The host's FUNCTIONS_REQUEST_BODY_SIZE_LIMIT when the setting is absent (about 100 MB). */
export const DEFAULT_REQUEST_BODY_LIMIT = 104_857_600;

interface CompiledRoute {
  registration: HttpRegistration;
  pattern: RegExp;
  params: string[];
}

/** `release/{printerId}` and `jobs/{id?}` route templates to regular expressions. */
export function compileRoute(registration: HttpRegistration, routePrefix: string): CompiledRoute {
  const params: string[] = [];
  const segments = [routePrefix, ...registration.route.split('/')].filter(Boolean).map((segment) => {
    const param = /^\{(\w+)(\?)?(?::[^}]*)?\}$/.exec(segment);
    if (!param?.[1]) return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    params.push(param[1]);
    return param[2] ? '(?:/([^/]+))?' : '/([^/]+)';
  });
  return { registration, params, pattern: new RegExp(`^${segments.join('')}/?$`, 'i') };
}

/** The whole body, or undefined (reading stopped, the rest left unread) once it passes `limit`. */
function readWhole(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
    // A connection closed mid-body (the client went, or stop()) fails the read instead of hanging it.
    req.once('close', () => req.complete || reject(new Error('The request was aborted')));
  });
}

export interface HttpListener {
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves the HTTP-triggered functions like the Functions host: routes under the prefix, the host's
 * own HttpRequest and HttpResponse classes, and each function's `authLevel` enforced with the host's
 * keys (401 without a valid key), unless `keys` is undefined: then keys are not enforced, as with
 * Core Tools locally. `extraRoutes` lets the local host add its admin endpoints.
 */
export async function startHttpListener(options: {
  port: number;
  routePrefix: string;
  registrations: HttpRegistration[];
  log: HostLogSink;
  /** The keys to enforce; undefined only for the named lenient mode (keys not enforced). */
  keys: HostKeys | undefined;
  extraRoutes?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
  /**
   * `app.setup({ enableHttpStream: true })`: handlers get the body as a stream, read only as far as
   * they read it. Otherwise the host reads the whole body before the handler runs.
   */
  streaming?: boolean;
  /** The host's FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: a larger body is answered 413 without a function call. */
  maxRequestBodyBytes?: number;
  /** Where to listen (default 127.0.0.1). */
  address?: string;
  /** Serve HTTPS with this key and certificate (the sandbox's `--lan`: a phone's browser needs a secure origin). */
  tls?: { key: string; cert: string };
}): Promise<HttpListener> {
  const address = options.address ?? '127.0.0.1';
  const bodyLimit = options.maxRequestBodyBytes ?? DEFAULT_REQUEST_BODY_LIMIT;
  const routes = options.registrations.map((r) => compileRoute(r, options.routePrefix));
  /**
   * Requests under way. stop() waits for them, as the host lets running functions finish on
   * shutdown: a function left running past stop() goes on calling storage or Graph after they have
   * stopped (retrying with backoff timers) and keeps the process alive.
   */
  const running = new Set<Promise<void>>();
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const work = handle(req, res)
      .catch((error: unknown) => {
        options.log({
          time: new Date(),
          functionName: 'host',
          invocationId: '-',
          level: 'error',
          message: `HTTP listener failed: ${String(error)}`,
        });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      })
      .finally(() => running.delete(work));
    running.add(work);
  };
  const server = options.tls ? https.createServer(options.tls, listener) : http.createServer(listener);

  /** Answers without reading the request body, and closes the connection rather than drain it. */
  function closeUnread(res: http.ServerResponse, status: number): void {
    res.writeHead(status, { connection: 'close' }).end();
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (options.extraRoutes && (await options.extraRoutes(req, res))) return;
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const path = decodeURIComponent(url.pathname);
    const route = routes.find((r) => r.pattern.test(path));
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    if (!route.registration.methods.includes((req.method ?? 'GET').toUpperCase())) {
      res.writeHead(405).end();
      return;
    }
    const { keys } = options;
    if (
      keys &&
      !isAuthorized(route.registration.authLevel, route.registration.name, presentedKey(req.headers, url), keys)
    ) {
      req.resume();
      res.writeHead(401).end();
      return;
    }
    const match = route.pattern.exec(path) ?? [];
    const params = Object.fromEntries(route.params.map((name, i) => [name, match[i + 1] ?? '']).filter(([, v]) => v));
    // The host's own body limit comes first: a larger declared body never reaches a function.
    if (Number(req.headers['content-length'] ?? 0) > bodyLimit) {
      closeUnread(res, 413);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD';
    let request: HttpRequest;
    if (options.streaming) {
      // As the worker's HTTP proxy does: the handler reads the socket through a small buffer, and
      // whatever it leaves unread is never read (the connection is closed after the answer).
      const body = hasBody ? req.pipe(new PassThrough()) : undefined;
      // A connection closed mid-body (the client went, or stop()) fails the read instead of hanging it.
      if (body) req.once('close', () => req.complete || body.destroy());
      const nativeRequest = new Request(url.toString(), { method, headers, body, duplex: 'half' });
      request = new HttpRequest({ nativeRequest, params } as HttpRequestInit);
    } else {
      const bytes = await readWhole(req, bodyLimit);
      if (!bytes) {
        closeUnread(res, 413);
        return;
      }
      request = new HttpRequest({
        method,
        url: url.toString(),
        headers,
        params,
        body: hasBody ? { bytes } : undefined,
      });
    }
    const context = createInvocationContext(route.registration.name, options.log);
    let response: HttpResponse;
    try {
      const result = await withTimeout(
        Promise.resolve(route.registration.handler(request, context)),
        HTTP_LIMIT_MS,
        route.registration.name,
      );
      response = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
    } catch (error) {
      context.error(
        `Function ${route.registration.name} failed: ${error instanceof Error ? error.stack : String(error)}`,
      );
      response = new HttpResponse({ status: 500 });
    }
    const body = Buffer.from(await response.arrayBuffer());
    const outHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => (outHeaders[name] = value));
    for (const cookie of response.cookies) res.appendHeader('set-cookie', `${cookie.name}=${cookie.value}`);
    // A body the function did not read to its end is not read now either: answer, then close.
    if (hasBody && !req.complete) {
      req.unpipe();
      req.pause();
      outHeaders.connection = 'close';
    }
    res.writeHead(response.status, outHeaders);
    res.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, address, () => resolve());
  });
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await Promise.allSettled([...running]);
    },
  };
}

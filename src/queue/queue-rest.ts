import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import type { MessageQueue } from './task-queue';

/**
 * Writing messages to an Azure Storage queue over its REST API, for the webhook: "create the queue
 * if missing" and "put message" are two requests, and the storage SDK for them costs the webhook's
 * cold start about 150 modules and each acknowledgement its XML and pipeline machinery. The wire
 * format is the SDK's (same service version, same shared-key signature, same XML body), with the
 * webhook's fail-fast retry: two tries, 1.5 s each, 100 ms apart (what every queue writer used).
 */

/** The service version the storage SDK in package-lock.json sends. */
const SERVICE_VERSION = '2026-04-06';
const TRIES = 2;
const TRY_TIMEOUT_MS = 1500;
const RETRY_DELAY_MS = 100;
/** Answers worth one more try: timeouts and the service's "busy" (storage throttles with 503). */
const RETRIABLE = new Set([408, 500, 502, 503, 504]);
/** Azurite's published development account (`UseDevelopmentStorage=true`); not a secret. */
const DEVELOPMENT = {
  name: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  queueEndpoint: 'http://127.0.0.1:10001/devstoreaccount1',
};

/** How requests to the queue service are authorized. */
export type QueueAuthorization =
  { kind: 'shared-key'; accountName: string; accountKey: string } | { kind: 'token'; credential: TokenCredential };

export interface QueueServiceTarget {
  /** The queue service's URL, e.g. https://account.queue.core.windows.net (no trailing slash). */
  endpoint: string;
  authorization: QueueAuthorization;
}

/**
 * The queue service an account-key connection string names, or undefined for any other kind
 * (a shared access signature), which the caller leaves to the SDK.
 */
export function queueServiceFromConnectionString(connectionString: string): QueueServiceTarget | undefined {
  const fields = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  if (fields.get('usedevelopmentstorage')?.toLowerCase() === 'true') {
    const proxy = fields.get('developmentstorageproxyuri');
    if (proxy) return undefined;
    return {
      endpoint: DEVELOPMENT.queueEndpoint,
      authorization: { kind: 'shared-key', accountName: DEVELOPMENT.name, accountKey: DEVELOPMENT.key },
    };
  }
  const accountName = fields.get('accountname');
  const accountKey = fields.get('accountkey');
  if (!accountName || !accountKey || fields.has('sharedaccesssignature')) return undefined;
  const protocol = fields.get('defaultendpointsprotocol') ?? 'https';
  const suffix = fields.get('endpointsuffix') ?? 'core.windows.net';
  const endpoint = fields.get('queueendpoint') ?? `${protocol}://${accountName}.queue.${suffix}`;
  return { endpoint: endpoint.replace(/\/+$/, ''), authorization: { kind: 'shared-key', accountName, accountKey } };
}

/** The Shared Key signature of a request, exactly as the storage SDK computes it. */
export function sharedKeySignature(
  accountName: string,
  accountKey: Buffer,
  method: string,
  url: URL,
  headers: Record<string, string>,
): string {
  const header = (name: string) => headers[name] ?? '';
  const contentLength = header('content-length') === '0' ? '' : header('content-length');
  const canonicalHeaders = Object.keys(headers)
    .filter((name) => name.startsWith('x-ms-'))
    .sort()
    .map((name) => `${name}:${headers[name]!.trimStart()}\n`)
    .join('');
  let resource = `/${accountName}${url.pathname || '/'}`;
  for (const key of [...new Set([...url.searchParams.keys()].map((k) => k.toLowerCase()))].sort()) {
    resource += `\n${key}:${url.searchParams.get(key) ?? ''}`;
  }
  const stringToSign =
    [method, header('content-language'), header('content-encoding'), contentLength, header('content-md5')]
      .concat([header('content-type'), '', '', '', '', '', ''])
      .join('\n') +
    '\n' +
    canonicalHeaders +
    resource;
  return createHmac('sha256', accountKey).update(stringToSign, 'utf8').digest('base64');
}

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

interface Answer {
  status: number;
  errorCode?: string;
}

/** One request; a try that takes longer than `timeoutMs` is ended (a timer, cheaper than a signal per try). */
function send(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal | undefined,
  timeoutMs: number,
) {
  return new Promise<Answer>((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const request = (secure ? https : http).request(
      url,
      { method, headers, agent: secure ? agents.https : agents.http, ...(signal ? { signal } : {}) },
      (response) => {
        response.resume(); // the bodies of these answers carry nothing we use
        response.on('end', () => {
          clearTimeout(timer);
          const errorCode = response.headers['x-ms-error-code'];
          resolve({
            status: response.statusCode ?? 0,
            errorCode: typeof errorCode === 'string' ? errorCode : undefined,
          });
        });
        response.on('error', fail);
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`No answer within ${timeoutMs} ms`)), timeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    request.on('error', fail);
    request.end(body);
  });
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A queue on Azure Storage written over REST, created on first use (Azurite starts empty). */
export function restQueue<T>(
  target: QueueServiceTarget,
  queueName: string,
  encode: (message: T) => string,
): MessageQueue<T> {
  const queueUrl = `${target.endpoint}/${encodeURIComponent(queueName)}`;
  let token: { value: string; refreshAt: number } | undefined;

  const sharedKey =
    target.authorization.kind === 'shared-key' ? Buffer.from(target.authorization.accountKey, 'base64') : undefined;

  async function authorize(method: string, url: URL, headers: Record<string, string>, signal?: AbortSignal) {
    const auth = target.authorization;
    if (auth.kind === 'shared-key') {
      const signature = sharedKeySignature(auth.accountName, sharedKey!, method, url, headers);
      headers.authorization = `SharedKey ${auth.accountName}:${signature}`;
      return;
    }
    if (!token || Date.now() >= token.refreshAt) {
      const access = await auth.credential.getToken('https://storage.azure.com/.default', { abortSignal: signal });
      if (!access) throw new Error('No token for Azure Storage');
      // Refreshed two minutes early, as the SDK's bearer-token policy does.
      token = { value: access.token, refreshAt: access.expiresOnTimestamp - 120_000 };
    }
    headers.authorization = `Bearer ${token.value}`;
  }

  /** One request with the webhook's retry; resolves with the answer the caller judges. */
  async function call(method: string, url: URL, body: string, signal?: AbortSignal): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = {
        'x-ms-date': new Date().toUTCString(),
        'x-ms-version': SERVICE_VERSION,
        'content-length': String(Buffer.byteLength(body)),
        ...(body ? { 'content-type': 'application/xml; charset=utf-8' } : {}),
      };
      try {
        await authorize(method, url, headers, signal);
        const answer = await send(method, url, headers, body, signal, TRY_TIMEOUT_MS);
        if (!RETRIABLE.has(answer.status) || attempt >= TRIES) return answer;
      } catch (error) {
        if (signal?.aborted || attempt >= TRIES) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }

  const fail = (what: string, answer: Answer) =>
    new Error(
      `Could not ${what} queue ${queueName}: HTTP ${answer.status}${answer.errorCode ? ` ${answer.errorCode}` : ''}`,
    );

  let created: Promise<void> | undefined;
  const ensureQueue = () =>
    (created ??= (async () => {
      // 201 created, 204 already there; 409 there with other metadata: all mean it exists.
      // Bounded as a whole, as before: it runs on the webhook's path, which must answer Graph within 3 s.
      const answer = await call('PUT', new URL(queueUrl), '', AbortSignal.timeout(TRY_TIMEOUT_MS));
      if (answer.status !== 201 && answer.status !== 204 && answer.status !== 409) throw fail('create', answer);
    })().catch((error: unknown) => {
      created = undefined; // the next caller tries again rather than inheriting the failure
      throw error;
    }));

  return {
    async send(messages, signal, options = {}) {
      await ensureQueue();
      const url = new URL(`${queueUrl}/messages`);
      if (options.delaySeconds) url.searchParams.set('visibilitytimeout', String(Math.ceil(options.delaySeconds)));
      await Promise.all(
        messages.map(async (message) => {
          const body = `<?xml version="1.0" encoding="utf-8"?><QueueMessage><MessageText>${escapeXml(encode(message))}</MessageText></QueueMessage>`;
          const answer = await call('POST', url, body, signal);
          if (answer.status !== 201) throw fail('write to', answer);
        }),
      );
    },
  };
}

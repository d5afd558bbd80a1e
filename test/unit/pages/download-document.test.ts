import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PDFDocument } from 'pdf-lib';
import { createGraphClient } from '../../../src/graph/graph-client';
import { classifyGraphError } from '../../../src/graph/graph-errors';
import { PrintApi } from '../../../src/graph/print-api';
import { countJobPages } from '../../../src/pages/count-job-pages';

/** A loopback stand-in for Graph's `$value`: answers what the test sets, and remembers what it was sent. */
let answer: (headers: IncomingHttpHeaders) => { status: number; headers?: Record<string, string>; body?: string };
let server: Server;
let api: PrintApi;
const graphHeaders: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    graphHeaders.push(req.headers);
    const { status, headers, body } = answer(req.headers);
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const credential = { getToken: async () => ({ token: 'graph-token', expiresOnTimestamp: Date.now() + 3600_000 }) };
  api = new PrintApi(
    createGraphClient(
      credential,
      {
        baseUrl,
        version: 'v1.0',
        scope: 'https://graph.microsoft.com/.default',
        authorityHost: baseUrl,
        customAuthority: true,
      },
      { maxRetries: 0 },
    ),
  );
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => (graphHeaders.length = 0));

const LOCATION = 'https://print-content.example.net/doc?sig=abc';
const redirect = () => ({ status: 302, headers: { location: LOCATION } });

/** The pre-authenticated host: records each request, answers with `body`. */
function downloadHost(status: number, body: Uint8Array = new Uint8Array(), headers: Record<string, string> = {}) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetch = async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), ...(init ? { init } : {}) });
    return new Response(status === 200 ? Buffer.from(body) : null, { status, headers });
  };
  return { calls, fetch: fetch };
}

const limits = (fetch: typeof globalThis.fetch, maxBytes = 1_000_000) => ({ maxBytes, timeoutMs: 2000, fetch });

describe('PrintApi.downloadDocument', () => {
  it('asks Graph for $value, then fetches the Location itself, with no header or credential of ours', async () => {
    answer = redirect;
    const host = downloadHost(200, new Uint8Array([1, 2, 3]));
    const result = await api.downloadDocument('p1', 'j1', 'd1', limits(host.fetch));
    expect(result).toEqual({ bytes: new Uint8Array([1, 2, 3]) });
    // (The SDK sends its token only over https, so this plain-http stand-in sees none; the redirect it answered
    // was not followed by the SDK: the Location was fetched once, by our own fetch, with no headers of ours.)
    expect(graphHeaders).toHaveLength(1);
    expect(host.calls).toHaveLength(1);
    expect(host.calls[0]!.url).toBe(LOCATION);
    expect(JSON.stringify(host.calls[0]!.init?.headers ?? {})).not.toMatch(/authorization|graph-token/i);
    expect(host.calls[0]!.init?.credentials).toBe('omit');
  });

  it('stops at the byte cap: too large is an answer, not an error', async () => {
    answer = redirect;
    // Declared too large: not read at all. Not declared: read until the cap, then dropped.
    const declared = downloadHost(200, new Uint8Array(5000), { 'content-length': '5000' });
    await expect(api.downloadDocument('p1', 'j1', 'd1', limits(declared.fetch, 4096))).resolves.toEqual({
      tooLarge: { maxBytes: 4096, size: 5000 },
    });
    const streamed = downloadHost(200, new Uint8Array(5000));
    await expect(api.downloadDocument('p1', 'j1', 'd1', limits(streamed.fetch, 4096))).resolves.toEqual({
      tooLarge: { maxBytes: 4096 },
    });
  });

  it('turns a 403 into an error that names PrintJob.Read.All, still classified as forbidden', async () => {
    answer = () => ({
      status: 403,
      body: JSON.stringify({ error: { code: 'AccessDenied', message: 'Basic scopes do not allow content.' } }),
    });
    const host = downloadHost(200);
    const error = await api.downloadDocument('p1', 'j1', 'd1', limits(host.fetch)).catch((e: unknown) => e);
    expect(classifyGraphError(error)).toMatchObject({ kind: 'forbidden', status: 403 });
    expect((error as Error).message).toMatch(/PrintJob\.Read\.All.*RELEASE_GATE_ALLOW_PAGE_COUNTING=true/);
    expect(host.calls).toHaveLength(0);
  });

  it('throws throttling and failures of the download host, to be retried', async () => {
    answer = () => ({ status: 429, headers: { 'retry-after': '30' }, body: '{}' });
    const throttled = await api.downloadDocument('p1', 'j1', 'd1', limits(downloadHost(200).fetch)).catch((e) => e);
    expect(classifyGraphError(throttled)).toMatchObject({ kind: 'throttled', status: 429, retryAfterSeconds: 30 });

    answer = redirect;
    const failing = downloadHost(503);
    const error = await api.downloadDocument('p1', 'j1', 'd1', limits(failing.fetch)).catch((e) => e);
    expect(classifyGraphError(error)).toMatchObject({ kind: 'transient' });
    expect((error as Error).message).toBe("The job document's download URL answered 503.");
  });

  it('throws when the time limit passes, to be retried', async () => {
    answer = redirect;
    const hanging = ((_url: string, init?: RequestInit) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error)),
      )) as typeof fetch;
    const error = await api
      .downloadDocument('p1', 'j1', 'd1', { maxBytes: 10, timeoutMs: 100, fetch: hanging })
      .catch((e: unknown) => e);
    expect((error as { name?: string }).name).toBe('TimeoutError');
    expect(classifyGraphError(error)).toMatchObject({ kind: 'transient' });
  });

  it('refuses a download URL that is not https', async () => {
    answer = () => ({ status: 302, headers: { location: 'http://print-content.example.net/doc' } });
    await expect(api.downloadDocument('p1', 'j1', 'd1', limits(downloadHost(200).fetch))).rejects.toThrow(
      /must be https/,
    );
  });
});

describe('countJobPages', () => {
  const job = { id: 'j1', documents: [{ id: 'd1', size: 900 }] } as never;

  it('counts the document and keeps only the number', async () => {
    const pdf = await PDFDocument.create();
    for (let i = 0; i < 4; i++) pdf.addPage();
    const bytes = await pdf.save();
    const printApi = {
      getJob: jest.fn(),
      downloadDocument: jest.fn(async () => ({ bytes })),
    };
    await expect(countJobPages({ printApi, maxBytes: 1_000_000 }, job, 'p1')).resolves.toEqual({
      count: 4,
      from: 'document',
    });
    expect(printApi.downloadDocument).toHaveBeenCalledWith('p1', 'j1', 'd1', {
      maxBytes: 1_000_000,
      timeoutMs: 10_000,
    });
  });

  it('does not download a document Graph says is over the cap', async () => {
    const printApi = { getJob: jest.fn(), downloadDocument: jest.fn() };
    await expect(countJobPages({ printApi, maxBytes: 100 }, job, 'p1')).resolves.toEqual({
      unknown: 'the document (900 bytes) is larger than RELEASE_GATE_PAGE_COUNTING_MAX_BYTES (100 bytes)',
    });
    expect(printApi.downloadDocument).not.toHaveBeenCalled();
  });

  it('passes a failure to download on, never turning it into unknown', async () => {
    const printApi = {
      getJob: jest.fn(),
      downloadDocument: jest.fn(async () => Promise.reject(new Error('socket hang up'))),
    };
    await expect(countJobPages({ printApi, maxBytes: 1_000_000 }, job, 'p1')).rejects.toThrow('socket hang up');
  });

  it('reads the job with its documents when they were not expanded', async () => {
    const printApi = {
      getJob: jest.fn(async () => ({ id: 'j1', documents: [] }) as never),
      downloadDocument: jest.fn(),
    };
    await expect(countJobPages({ printApi, maxBytes: 1 }, { id: 'j1' } as never, 'p1')).resolves.toEqual({
      unknown: 'the job has no document',
    });
    expect(printApi.getJob).toHaveBeenCalledWith('p1', 'j1', { documents: true });
  });
});

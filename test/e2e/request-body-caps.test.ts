import http from 'node:http';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';

/**
 * Anonymous routes accept a few kilobytes; the host would take up to ~100 MB. With HTTP streaming
 * on, a body over a route's cap is refused as soon as the cap (or a declared Content-Length) passes
 * it, and the rest is never read. Measured in bytes the client could hand to the connection before
 * its answer came: a server that reads everything first takes all of them.
 */
const fixtures = path.join(__dirname, '..', 'fixtures');
const FIFTY_MB = 50 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'a');

/** POSTs `total` bytes, produced only as fast as the connection takes them; stops at the answer. */
function postLarge(
  url: string,
  total: number,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const request = http.request(url, { method: 'POST', headers });
    request.on('response', (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sent });
        request.destroy();
      });
    });
    // Once the server has answered and closed, the rest of the upload fails: expected.
    request.on('error', (error) => (answered ? undefined : reject(error)));
    const pump = () => {
      while (!answered && sent < total) {
        sent += CHUNK.length;
        if (!request.write(CHUNK)) return void request.once('drain', pump);
      }
      if (!answered) request.end();
    };
    pump();
  });
}

describe('request bodies are capped before they are buffered', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      hostPort: 0,
      hostJson: path.join(fixtures, 'host.sandbox-fast.json'),
      log: () => {},
    });
  }, 60000);
  afterAll(async () => sandbox?.stop());

  const json = { 'content-type': 'application/json' };

  it('50 MB to the terminal endpoint, sent chunked: 413 after a few kilobytes, the rest never read', async () => {
    const result = await postLarge(`${sandbox.host.url}/api/terminal/release`, FIFTY_MB, {
      ...json,
      'transfer-encoding': 'chunked',
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({ error: { code: 'payload_too_large' } });
    // What the connection took before the answer: the socket buffers, not the body.
    expect(result.sent).toBeLessThan(FIFTY_MB / 4);
  });

  it('50 MB declared in Content-Length: 413 before the body is read', async () => {
    const result = await postLarge(`${sandbox.host.url}/api/terminal/release`, FIFTY_MB, {
      ...json,
      'content-length': String(FIFTY_MB),
    });
    expect(result.status).toBe(413);
    expect(result.sent).toBeLessThan(FIFTY_MB / 4);
  });

  it('the release API and the webhook refuse large bodies the same way', async () => {
    const api = await postLarge(`${sandbox.host.url}/api/release/jobs/release`, FIFTY_MB, {
      ...json,
      'transfer-encoding': 'chunked',
    });
    expect([api.status, api.sent < FIFTY_MB / 4]).toEqual([413, true]);

    const subscription = [...sandbox.simulator.tenant.subscriptions.values()][0]!;
    const webhook = await postLarge(subscription.notificationUrl, FIFTY_MB, {
      ...json,
      'transfer-encoding': 'chunked',
    });
    expect([webhook.status, webhook.sent < FIFTY_MB / 4]).toEqual([413, true]);
  });

  it('a body within the cap still reaches the handler (a clear 4xx for bad input, not a 5xx)', async () => {
    const response = await fetch(`${sandbox.host.url}/api/terminal/release`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ badge: 'S2005' }),
    });
    expect(response.status).toBe(401); // no terminal id or key: the handler's own answer
  });
});

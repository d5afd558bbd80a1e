import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileOrigin, PolicySource, urlOrigin } from '../../../src/policy/declarative/policy-source';
import { loadPolicyFromSettings } from '../../../src/policy/load-policy';
import { context } from '../../support/policy-context';

const policyJson = (ruleName: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    name: ruleName,
    rules: [{ name: ruleName, when: {}, then: { deny: { reason: ruleName } } }],
    default: { release: {} },
    ...extra,
  });

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'policy-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a file and moves its mtime on, as a deployment or an admin's edit would. */
let tick = 0;
function write(file: string, text: string) {
  writeFileSync(file, text);
  tick += 10;
  utimesSync(file, new Date(), new Date(Date.now() + tick * 1000));
}

describe('a policy file', () => {
  it('is re-read after the reload interval; an invalid new version keeps the last good one and is reported once', async () => {
    const file = path.join(dir, 'policy.json');
    write(file, policyJson('v1'));
    let now = 0;
    const errors: string[] = [];
    const loaded: string[] = [];
    const source = new PolicySource(fileOrigin(file), {
      reloadSeconds: 60,
      onError: (m) => errors.push(m),
      onLoaded: (p) => loaded.push(p.name),
      now: () => now,
    });
    const current = async () => {
      await source.current();
      await source.settled(); // a reload runs in the background once a good version exists
      return (await source.current()).name;
    };
    expect(await current()).toBe('v1');

    write(file, policyJson('v2'));
    now += 59_000;
    expect(await current()).toBe('v1'); // not re-read before the interval
    now += 2_000;
    expect(await current()).toBe('v2');

    write(file, '{ "name": "broken", "rules": [ ');
    now += 61_000;
    expect(await current()).toBe('v2');
    now += 61_000;
    expect(await current()).toBe('v2');
    // Where, as an editor shows it (line and column), not V8's character offset.
    expect(errors).toEqual([
      expect.stringMatching(
        /is invalid; keeping the last valid one: not valid JSON \(line 1, column 32: the text ends before the JSON does/,
      ),
    ]);

    write(file, JSON.stringify({ name: 'no reason', rules: [], default: { deny: {} } }));
    now += 61_000;
    expect(await current()).toBe('v2');
    expect(errors.at(-1)).toMatch(/keeping the last valid one: default\.deny\.reason: required/);

    rmSync(file);
    now += 61_000;
    expect(await current()).toBe('v2');
    expect(errors.at(-1)).toMatch(/Could not read the policy .*ENOENT.*; keeping the last valid one/);

    write(file, policyJson('v3'));
    now += 61_000;
    expect(await current()).toBe('v3');
    expect(loaded).toEqual(['v1', 'v2', 'v3']);
  });

  it('with no valid version at all, deciding fails (so the fail-safe decides) rather than guessing', async () => {
    const file = path.join(dir, 'policy.json');
    write(file, JSON.stringify({ name: 'no default', rules: [] }));
    const errors: string[] = [];
    const source = new PolicySource(fileOrigin(file), { reloadSeconds: 60, onError: (m) => errors.push(m) });
    await expect(source.current()).rejects.toThrow(/No valid policy/);
    expect(errors).toEqual([
      expect.stringMatching(/^The policy from .* is invalid: default: required: exactly one of release/),
    ]);
  });

  it('from the settings: a changed file decides the next jobs without a restart', async () => {
    const file = path.join(dir, 'policy.json');
    write(file, policyJson('v1'));
    const events: string[] = [];
    const policy = loadPolicyFromSettings(
      { RELEASE_GATE_POLICY_FILE: file, RELEASE_GATE_POLICY_RELOAD_SECONDS: 1 },
      (_level, _message, event) => events.push(event),
    );
    expect(await policy.decide(context())).toMatchObject({ action: 'deny', rule: 'v1' });
    write(file, policyJson('v2', { shadowMode: true }));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // The first decision after the interval starts a background reload and is still v1's.
    let decision = await policy.decide(context());
    for (let i = 0; i < 100 && decision.action !== 'release'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      decision = await policy.decide(context());
    }
    expect(decision).toMatchObject({ action: 'release', shadowOf: { rule: 'v2' } });
    expect(events).toEqual(['policy.loaded', 'policy.loaded']);
  });
});

describe('a policy over HTTP(S)', () => {
  let server: Server;
  let body = policyJson('v1');
  let etag = '"1"';
  const requests: (string | undefined)[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.headers['if-none-match']);
      if (request.url?.startsWith('/missing')) return response.writeHead(404).end();
      if (request.headers['if-none-match'] === etag) return response.writeHead(304).end();
      response.writeHead(200, { etag, 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const url = (p = '/policy.json?sig=secret') => `http://127.0.0.1:${(server.address() as AddressInfo).port}${p}`;

  it('uses conditional GETs: unchanged is a 304, a new ETag a new policy; a bad one keeps the last good', async () => {
    let now = 0;
    const errors: string[] = [];
    const source = new PolicySource(urlOrigin(url()), {
      reloadSeconds: 10,
      onError: (m) => errors.push(m),
      now: () => now,
    });
    const current = async () => {
      await source.current();
      await source.settled();
      return (await source.current()).name;
    };
    expect(await current()).toBe('v1');
    now += 10_000;
    expect(await current()).toBe('v1');
    expect(requests.slice(-2)).toEqual([undefined, '"1"']);

    body = policyJson('v2');
    etag = '"2"';
    now += 10_000;
    expect(await current()).toBe('v2');

    body = '{ "name": "bad" }';
    etag = '"3"';
    now += 10_000;
    expect(await current()).toBe('v2');
    expect(errors).toEqual([expect.stringMatching(/is invalid; keeping the last valid one: rules: required/)]);
    // The SAS signature in the query never reaches a log.
    expect(errors.join()).not.toMatch(/secret/);
  });

  it('an error answer is reported without the query string', async () => {
    const errors: string[] = [];
    const source = new PolicySource(urlOrigin(url('/missing?sig=secret')), {
      reloadSeconds: 10,
      onError: (m) => errors.push(m),
    });
    await expect(source.current()).rejects.toThrow(/No valid policy/);
    expect(errors).toEqual([expect.stringMatching(/answered 404$/)]);
    expect(errors.join()).not.toMatch(/secret/);
  });
});

import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSettings } from '../../../src/config/load-settings';
import { PolicySource, pinnedSha256, urlOrigin } from '../../../src/policy/declarative/policy-source';
import { parsePolicy } from '../../../src/policy/declarative/policy-schema';
import { unsafeRegexReason } from '../../../src/policy/declarative/regex-safety';

const policyJson = (name: string) =>
  JSON.stringify({ name, rules: [{ name, when: {}, then: { deny: { reason: name } } }], default: { release: {} } });
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('a policy URL pinned by its SHA-256', () => {
  let server: Server;
  let body = policyJson('v1');
  let etag = '"1"';
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.headers['if-none-match'] === etag) return response.writeHead(304).end();
      response.writeHead(200, { etag, 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = (pin: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/policy.json#sha256=${pin}`;

  it('loads the pinned content; other content is refused with an error and the last good version stays', async () => {
    let now = 0;
    const errors: string[] = [];
    const source = new PolicySource(urlOrigin(url(sha256(policyJson('v1')))), {
      reloadSeconds: 10,
      onError: (m) => errors.push(m),
      now: () => now,
    });
    expect((await source.current()).name).toBe('v1');

    body = policyJson('tampered'); // the blob was overwritten, or another server answered
    etag = '"2"';
    now += 10_000;
    await source.current();
    await source.settled();
    expect((await source.current()).name).toBe('v1');
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `its SHA-256 is ${sha256(body)}, not the pinned ${sha256(policyJson('v1'))}: refused; keeping the last valid one$`,
        ),
      ),
    ]);
  });

  it('with no good version at all, pinned content that does not match is never loaded', async () => {
    body = policyJson('v3');
    etag = '"3"';
    const errors: string[] = [];
    const source = new PolicySource(urlOrigin(url('0'.repeat(64))), {
      reloadSeconds: 10,
      onError: (m) => errors.push(m),
    });
    await expect(source.current()).rejects.toThrow(/No valid policy/);
    expect(errors[0]).toMatch(/not the pinned 0{64}: refused$/);
  });

  it('a malformed pin is a settings error, not a silently unpinned URL', () => {
    expect(pinnedSha256('https://x.example/p.json')).toBeUndefined();
    expect(pinnedSha256(`https://x.example/p.json#sha256=${'AB'.repeat(32)}`)).toBe('ab'.repeat(32));
    expect(() => pinnedSha256('https://x.example/p.json#sha256=abc')).toThrow(/64 hex digits/);
    expect(() => pinnedSha256('https://x.example/p.json#md5=abc')).toThrow(/#sha256=/);
    const settings = (url: string) => () =>
      parseSettings({
        RELEASE_GATE_TENANT_ID: '9a4c2f1e-7b3d-4e8a-b6c5-0d1e2f3a4b5c',
        RELEASE_GATE_TASK_DEFINITION_ID: '3203656e-6069-4e10-8147-d25290b00a3c',
        RELEASE_GATE_APP_CLIENT_ID: '5c1d8a2b-4e6f-4a7b-9c8d-1e2f3a4b5c6d',
        RELEASE_GATE_SECRET_SOURCE: 'settings',
        RELEASE_GATE_CLIENT_STATE: 'x'.repeat(32),
        RELEASE_GATE_APP_CREDENTIAL: 'secret',
        RELEASE_GATE_APP_SECRET: 's',
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        RELEASE_GATE_POLICY_URL: url,
      });
    expect(settings(`https://x.example/p.json#sha256=${'a'.repeat(64)}`)).not.toThrow();
    expect(settings('https://x.example/p.json#sha256=abc')).toThrow(/RELEASE_GATE_POLICY_URL/);
  });
});

describe('regular expressions in policies are checked for catastrophic backtracking when loaded', () => {
  const withName = (documentName: string) =>
    parsePolicy({
      name: 'x',
      rules: [{ name: 'r', when: { documentName }, then: { release: {} } }],
      default: { release: {} },
    });

  it.each(['(a+)+$', '^(a|a)*$', '(\\w+\\s?)+$', '.*a.*a.*a$'])('refuses %s with a clear message', (pattern) => {
    const result = withName(pattern);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toEqual([
      expect.stringMatching(
        /rule 1 "r": when\.documentName: can backtrack catastrophically \((exponential|\d+th degree polynomial)\)/,
      ),
    ]);
  });

  it.each(['confidential|secret', '^(draft|final)[-_ ]\\d+', '\\.(xlsx|docx)$', '^.*secret.*$'])(
    'accepts %s',
    (pattern) => {
      expect(withName(pattern).ok).toBe(true);
      expect(unsafeRegexReason(pattern)).toBeUndefined();
    },
  );
});

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { TokenCredential } from '@azure/core-auth';
import { PolicyUnavailableError } from '../evaluation-errors';
import { parsePolicy, type PolicyFile } from './policy-schema';
import { errorText } from '../../observability/log';
import { parseJsonText } from '../../config/json-syntax';

/** Where a declarative policy comes from, and a cheap way to tell it changed. */
export interface PolicyOrigin {
  describe: string;
  /** A version tag (mtime, ETag, content) and, when changed since `known`, the new text. */
  read(known?: string): Promise<{ version: string; text?: string }>;
}

export function fileOrigin(path: string): PolicyOrigin {
  return {
    describe: path,
    async read(known) {
      const info = await stat(path);
      // Size too: a copy within the file system's mtime granularity still changes it, usually.
      const version = `${info.mtimeMs}:${info.size}`;
      return version === known ? { version } : { version, text: await readFile(path, 'utf8') };
    },
  };
}

export function inlineOrigin(json: string): PolicyOrigin {
  return { describe: 'RELEASE_GATE_POLICY_JSON', read: async () => ({ version: 'inline', text: json }) };
}

/** `#sha256=<64 hex digits>` at the end of a policy URL pins its content (like pip's hash fragments). */
const PIN_FRAGMENT = /^#sha256=([0-9a-f]{64})$/i;

/**
 * The SHA-256 a policy URL pins, from its fragment (never sent to the server); undefined without
 * one. A fragment that is not a well-formed pin is an error: a typo must not silently unpin.
 */
export function pinnedSha256(url: string): string | undefined {
  const { hash } = new URL(url);
  if (!hash) return undefined;
  const match = PIN_FRAGMENT.exec(hash);
  if (!match?.[1])
    throw new Error('the URL fragment must be #sha256= and the 64 hex digits of the policy file’s SHA-256');
  return match[1].toLowerCase();
}

/**
 * A policy over HTTPS with conditional GETs (ETag). An Azure blob URL without a SAS signature is
 * read with the managed identity (Storage Blob Data Reader or above), so no secret is needed. With
 * a `#sha256=` pin, content whose hash differs is refused (the last good version stays in force):
 * whoever can write the blob or answer for the host still cannot change the policy.
 */
export function urlOrigin(url: string, credential?: TokenCredential, timeoutMs = 10_000): PolicyOrigin {
  const parsed = new URL(url);
  const pin = pinnedSha256(url);
  parsed.hash = '';
  const isBlob = /\.blob\.core\.(windows\.net|usgovcloudapi\.net|chinacloudapi\.cn)$/i.test(parsed.hostname);
  const signed = parsed.searchParams.has('sig');
  // The query may hold a SAS signature: never in logs.
  const shown = parsed.toString().replace(/\?.*$/, '');
  return {
    describe: shown,
    async read(known) {
      const headers: Record<string, string> = known ? { 'if-none-match': known } : {};
      if (isBlob && !signed && credential) {
        const token = await credential.getToken('https://storage.azure.com/.default');
        if (token) headers.authorization = `Bearer ${token.token}`;
        headers['x-ms-version'] = '2023-11-03';
      }
      const response = await fetch(parsed, { headers, signal: AbortSignal.timeout(timeoutMs) });
      if (response.status === 304 && known) return { version: known };
      if (!response.ok) throw new Error(`GET ${shown} answered ${response.status}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      if (pin) {
        const actual = createHash('sha256').update(bytes).digest('hex');
        if (actual !== pin) throw new Error(`its SHA-256 is ${actual}, not the pinned ${pin}: refused`);
      }
      const text = bytes.toString('utf8');
      // Without an ETag the content is its own version.
      return { version: response.headers.get('etag') ?? `content:${text}`, text };
    },
  };
}

export interface PolicySourceOptions {
  /** Check for a new version at most this often. */
  reloadSeconds: number;
  /** A version that cannot be read or is invalid. */
  onError: (message: string) => void;
  onLoaded?: (policy: PolicyFile, version: string) => void;
  /** Checks beyond the schema (e.g. plug-in condition names); messages make the version invalid. */
  validate?: (policy: PolicyFile) => string[];
  now?: () => number;
}

/**
 * The current policy, re-read at most every `reloadSeconds`. A new version that does not parse is
 * reported once and ignored: the last good one stays in force. Once a good version exists, checks
 * run in the background, so a slow URL never delays a decision. With no good version at all,
 * `current` throws a PolicyUnavailableError: transient while the source could not be read (the
 * processor retries the task), permanent once it was read and found invalid.
 */
export class PolicySource {
  private good?: { version: string; policy: PolicyFile };
  private lastChecked = Number.NEGATIVE_INFINITY;
  private lastBadVersion?: string;
  private checking?: Promise<void>;
  /** Why no good version exists yet: a read that failed may work next time; an invalid policy will not. */
  private lastProblem: 'unreadable' | 'invalid' = 'unreadable';
  private readonly now: () => number;

  constructor(
    private readonly origin: PolicyOrigin,
    private readonly options: PolicySourceOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get describe(): string {
    return this.origin.describe;
  }

  async current(): Promise<PolicyFile> {
    if (this.now() - this.lastChecked >= this.options.reloadSeconds * 1000) {
      // check() reports its own failures; the catch only keeps a throwing callback from escaping.
      this.checking ??= this.check()
        .catch(() => undefined)
        .finally(() => (this.checking = undefined));
    }
    if (!this.good && this.checking) await this.checking;
    if (!this.good)
      throw new PolicyUnavailableError(
        this.lastProblem === 'invalid'
          ? `No valid policy could be loaded from ${this.origin.describe}: it is invalid`
          : `No valid policy could be loaded from ${this.origin.describe} yet: it could not be read`,
        this.lastProblem === 'unreadable',
      );
    return this.good.policy;
  }

  /** Waits for a check under way (tests, and the CLI). */
  async settled(): Promise<void> {
    await this.checking;
  }

  private async check(): Promise<void> {
    this.lastChecked = this.now();
    let read: { version: string; text?: string };
    try {
      read = await this.origin.read(this.good?.version);
    } catch (error) {
      this.lastProblem = 'unreadable';
      this.options.onError(
        `Could not read the policy from ${this.origin.describe}: ${errorText(error)}${this.good ? '; keeping the last valid one' : ''}`,
      );
      return;
    }
    if (read.text === undefined || read.version === this.good?.version || read.version === this.lastBadVersion) return;
    let json: unknown;
    try {
      json = parseJsonText(read.text);
    } catch (error) {
      // "line 4, column 19: Expected ',' or '}' after property value", not a character offset.
      this.reject(read.version, [`not valid JSON (${errorText(error)})`]);
      return;
    }
    const parsed = parsePolicy(json);
    if (!parsed.ok) return this.reject(read.version, parsed.errors);
    const problems = this.options.validate?.(parsed.policy) ?? [];
    if (problems.length > 0) return this.reject(read.version, problems);
    this.good = { version: read.version, policy: parsed.policy };
    this.lastBadVersion = undefined;
    this.options.onLoaded?.(parsed.policy, read.version);
  }

  private reject(version: string, errors: string[]): void {
    this.lastBadVersion = version;
    this.lastProblem = 'invalid';
    this.options.onError(
      `The policy from ${this.origin.describe} is invalid${this.good ? '; keeping the last valid one' : ''}: ${errors.join('; ')}`,
    );
  }
}

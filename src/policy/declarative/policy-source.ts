import { readFile, stat } from 'node:fs/promises';
import type { TokenCredential } from '@azure/core-auth';
import { parsePolicy, type PolicyFile } from './policy-schema';

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
      const version = String((await stat(path)).mtimeMs);
      return version === known ? { version } : { version, text: await readFile(path, 'utf8') };
    },
  };
}

export function inlineOrigin(json: string): PolicyOrigin {
  return { describe: 'RELEASE_GATE_POLICY_JSON', read: async () => ({ version: 'inline', text: json }) };
}

/**
 * A policy over HTTPS with conditional GETs (ETag). An Azure blob URL without a SAS signature is
 * read with the managed identity (Storage Blob Data Reader or above), so no secret is needed.
 */
export function urlOrigin(url: string, credential?: TokenCredential): PolicyOrigin {
  const isBlob = /\.blob\.core\.(windows\.net|usgovcloudapi\.net|chinacloudapi\.cn)$/i.test(new URL(url).hostname);
  const signed = new URL(url).searchParams.has('sig');
  return {
    describe: url.replace(/\?.*$/, ''),
    async read(known) {
      const headers: Record<string, string> = known ? { 'if-none-match': known } : {};
      if (isBlob && !signed && credential) {
        const token = await credential.getToken('https://storage.azure.com/.default');
        if (token) headers.authorization = `Bearer ${token.token}`;
        headers['x-ms-version'] = '2023-11-03';
      }
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
      if (response.status === 304 && known) return { version: known };
      if (!response.ok)
        throw new Error(`Fetching the policy from ${url.replace(/\?.*$/, '')} answered ${response.status}`);
      const text = await response.text();
      return { version: response.headers.get('etag') ?? text, text };
    },
  };
}

/**
 * The current policy, re-read at most every `reloadSeconds`. A new version that does not parse is
 * reported and ignored: the last good one stays in force. With no good version at all, `current`
 * throws, and the processor's fail-safe decides.
 */
export class PolicySource {
  private good?: { version: string; policy: PolicyFile };
  private lastChecked = 0;
  private lastBadVersion?: string;
  private checking?: Promise<void>;

  constructor(
    private readonly origin: PolicyOrigin,
    private readonly reloadSeconds: number,
    private readonly onError: (message: string) => void,
    private readonly now: () => number = Date.now,
    private readonly onLoaded?: (policy: PolicyFile, version: string) => void,
  ) {}

  async current(): Promise<PolicyFile> {
    if (!this.good || this.now() - this.lastChecked >= this.reloadSeconds * 1000) {
      this.checking ??= this.check().finally(() => (this.checking = undefined));
      await this.checking;
    }
    if (!this.good) throw new Error(`No valid policy could be loaded from ${this.origin.describe}`);
    return this.good.policy;
  }

  private async check(): Promise<void> {
    this.lastChecked = this.now();
    let read: { version: string; text?: string };
    try {
      read = await this.origin.read(this.good?.version);
    } catch (error) {
      this.onError(`Could not read the policy from ${this.origin.describe}: ${(error as Error).message}`);
      return;
    }
    if (read.text === undefined || read.version === this.good?.version || read.version === this.lastBadVersion) return;
    let json: unknown;
    try {
      json = JSON.parse(read.text);
    } catch (error) {
      this.reject(read.version, [`not valid JSON (${(error as Error).message})`]);
      return;
    }
    const parsed = parsePolicy(json);
    if (!parsed.ok) {
      this.reject(read.version, parsed.errors);
      return;
    }
    this.good = { version: read.version, policy: parsed.policy };
    this.lastBadVersion = undefined;
    this.onLoaded?.(parsed.policy, read.version);
  }

  private reject(version: string, errors: string[]): void {
    this.lastBadVersion = version;
    this.onError(
      `The policy from ${this.origin.describe} is invalid${this.good ? '; keeping the last valid one' : ''}: ${errors.join('; ')}`,
    );
  }
}

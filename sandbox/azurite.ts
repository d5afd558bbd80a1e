import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Azurite (the storage emulator, from npm) in memory on free loopback ports, for tests and the
 * sandbox. Whoever starts it stops it.
 */
export interface Azurite {
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  /** A connection string for the well-known development account on these ports. */
  connectionString: string;
  stop(): Promise<void>;
}

/** Azurite's published development account; not a secret. */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const READY = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/;

export async function startAzurite(options: { startTimeoutMs?: number } = {}): Promise<Azurite> {
  const main = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const child = spawn(
    process.execPath,
    [
      main,
      ...['--blobHost', '127.0.0.1', '--queueHost', '127.0.0.1', '--tableHost', '127.0.0.1'],
      ...['--blobPort', '0', '--queuePort', '0', '--tablePort', '0'],
      '--inMemoryPersistence',
      ...['--extentMemoryLimit', '256'],
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const urls = await waitForServices(child, options.startTimeoutMs ?? 20000);
  const { Blob: blobUrl, Queue: queueUrl, Table: tableUrl } = urls as Record<'Blob' | 'Queue' | 'Table', string>;
  return {
    blobUrl,
    queueUrl,
    tableUrl,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};` +
      `BlobEndpoint=${blobUrl}/${ACCOUNT};QueueEndpoint=${queueUrl}/${ACCOUNT};TableEndpoint=${tableUrl}/${ACCOUNT};`,
    stop: () => stopChild(child),
  };
}

function waitForServices(child: ChildProcess, timeoutMs: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const urls: Record<string, string> = {};
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    timer.unref();
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        const match = READY.exec(line);
        if (match?.[1] && match[2]) urls[match[1]] = match[2];
      }
      if (urls.Blob && urls.Queue && urls.Table) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume(); // keep draining so Azurite never blocks on a full pipe
        resolve(urls);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => fail(new Error(`Azurite exited with code ${code}:\n${output}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    killer.unref();
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

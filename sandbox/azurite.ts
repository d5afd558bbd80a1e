import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Azurite (the storage emulator, from npm) in memory on free loopback ports, for tests and the
 * sandbox. Whoever starts it stops it; if its starter dies without stopping it, it stops itself.
 */
export interface Azurite {
  queueUrl: string;
  tableUrl: string;
  /** A connection string for the well-known development account on these ports. */
  connectionString: string;
  stop(): Promise<void>;
}

/** Azurite's published development account; not a secret. */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const READY = /Azurite (Queue|Table) service is successfully listening at (http:\/\/\S+)/;

/**
 * What the child runs: Azurite's queue and table servers alone, configured as its command line
 * `--inMemoryPersistence --extentMemoryLimit 256 --loose --skipApiVersionCheck` would on free
 * loopback ports. Release Gate uses no blobs (and the local host keeps no blob leases), and
 * Azurite's own entry point also loads the blob server and its telemetry: a third of its start-up.
 */
const QUEUE_AND_TABLE = `
const [dist] = process.argv.slice(1);
const load = (m) => require(require('node:path').join(dist, m));
const QueueConfiguration = load('queue/QueueConfiguration').default;
const QueueServer = load('queue/QueueServer').default;
const TableConfiguration = load('table/TableConfiguration').default;
const TableServer = load('table/TableServer').default;
const { setExtentMemoryLimit } = load('common/ConfigurationBase');
const { DEFAULT_QUEUE_KEEP_ALIVE_TIMEOUT } = load('queue/utils/constants');
const { DEFAULT_TABLE_KEEP_ALIVE_TIMEOUT } = load('table/utils/constants');
setExtentMemoryLimit({ inMemoryPersistence: () => true, extentMemoryLimit: () => 256 }, false);
const none = undefined;
const queue = new QueueServer(new QueueConfiguration('127.0.0.1', 0, DEFAULT_QUEUE_KEEP_ALIVE_TIMEOUT,
  none, none, none, false, none, false, none, true, true, '', '', '', none, false, true));
const table = new TableServer(new TableConfiguration('127.0.0.1', 0, DEFAULT_TABLE_KEEP_ALIVE_TIMEOUT,
  none, false, false, none, none, true, true, '', '', '', none, false, true));
(async () => {
  await queue.start();
  console.log('Azurite Queue service is successfully listening at ' + queue.getHttpServerAddress());
  await table.start();
  console.log('Azurite Table service is successfully listening at ' + table.getHttpServerAddress());
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
process.once('SIGTERM', () => Promise.all([queue.close(), table.close()]).then(() => process.exit(0)));
// Its parent holds the other end of stdin: when the parent is gone (killed, crashed, a closed pipe), so is Azurite.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
`;

export async function startAzurite(options: { startTimeoutMs?: number } = {}): Promise<Azurite> {
  const dist = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src');
  // stdin is a pipe the child watches: it exits when this process ends, however it ends.
  const child = spawn(process.execPath, ['-e', QUEUE_AND_TABLE, dist], { stdio: ['pipe', 'pipe', 'pipe'] });
  const urls = await waitForServices(child, options.startTimeoutMs ?? 20000);
  const { Queue: queueUrl, Table: tableUrl } = urls as Record<'Queue' | 'Table', string>;
  return {
    queueUrl,
    tableUrl,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};` +
      `QueueEndpoint=${queueUrl}/${ACCOUNT};TableEndpoint=${tableUrl}/${ACCOUNT};`,
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
      if (urls.Queue && urls.Table) {
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

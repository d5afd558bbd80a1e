import { execFile, execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startAzurite } from '../sandbox/azurite';
import { benchSettings, notificationBatch } from './bench-settings';
import { round } from './stats';

const root = path.resolve(__dirname, '..');

/**
 * Every SDK the Function App uses at run time (package.json's dependencies minus the admin-only
 * ones): what a worker would load if nothing were loaded on demand. The metrics SDKs are in it: the
 * deployed app loads them whenever Application Insights is configured.
 */
export const EAGER_SDKS = [
  '@azure/functions',
  '@azure/storage-queue',
  '@azure/data-tables',
  '@azure/identity',
  '@azure/keyvault-secrets',
  '@microsoft/microsoft-graph-client',
  '@opentelemetry/sdk-metrics',
  '@azure/monitor-opentelemetry-exporter',
  'jose',
  'zod',
];

/**
 * One cold worker, in a fresh Node process running the compiled app: load every `dist/functions/*.js`
 * as the worker does at start, run the app-start hooks, then acknowledge the first notification
 * (settings, secret, queue creation and write to Azurite). The figure is the time from the first line
 * of the script to the 202, Node's own start-up excluded. With `eager`, every SDK is loaded first.
 */
function coldScript(eager: boolean): string {
  return `
const t0 = process.hrtime.bigint();
${eager ? EAGER_SDKS.map((p) => `require(${JSON.stringify(p)});`).join('') : ''}
const functions = require('@azure/functions');
const hooks = [];
functions.app.hook.appStart = (hook) => hooks.push(hook); // test mode would skip it; the worker runs it
const fs = require('fs');
for (const f of fs.readdirSync('dist/functions').filter((f) => f.endsWith('.js'))) require('./dist/functions/' + f);
(async () => {
  for (const hook of hooks) await hook({});
  const { notifications } = require('./dist/functions/notifications.js');
  const response = await notifications(
    new functions.HttpRequest({
      method: 'POST',
      url: 'http://127.0.0.1/api/notifications',
      headers: { 'content-type': 'application/json' },
      body: { string: process.env.BENCH_BODY },
    }),
    new functions.InvocationContext({ functionName: 'notifications', invocationId: 'cold', logHandler: () => {} }),
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write('COLD ' + JSON.stringify({ status: response.status, ms }) + '\\n');
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });`;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Cold load to the first acknowledged notification, our webhook beside the same worker loading every
 * SDK eagerly. Samples alternate between the two so that load from other processes hits both alike;
 * each figure is the median of fresh processes.
 */
export async function benchColdStart(options: { quick: boolean }) {
  // A clean build, as `npm start` makes: a stale dist/functions/*.js would be loaded as a function file.
  rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  const runs = options.quick ? 3 : 9;
  const azurite = await startAzurite();
  const ours: number[] = [];
  const eager: number[] = [];
  try {
    const env = {
      ...process.env,
      ...benchSettings,
      AzureWebJobsStorage: azurite.connectionString,
      RELEASE_GATE_TASK_QUEUE: 'cold-tasks',
      NODE_OPTIONS: '',
      BENCH_BODY: notificationBatch(1, 1),
    };
    const sample = async (isEager: boolean) => {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', coldScript(isEager)], {
        cwd: root,
        env,
        encoding: 'utf8',
      });
      const line = stdout.split('\n').find((l) => l.startsWith('COLD '));
      if (!line) throw new Error(`The cold worker printed no figure:\n${stdout}\n${stderr}`);
      const { status, ms } = JSON.parse(line.slice(5)) as { status: number; ms: number };
      if (status !== 202) throw new Error(`The cold worker answered ${status}, not 202`);
      return ms;
    };
    await sample(false); // creates the queue and fills the OS file cache once, for both sides
    for (let i = 0; i < runs; i++) {
      ours.push(await sample(false));
      eager.push(await sample(true));
    }
  } finally {
    await azurite.stop();
  }
  return {
    oursMs: round(median(ours)),
    eagerMs: round(median(eager)),
    ratio: round(median(ours) / median(eager)),
    samples: runs,
    rows: [
      { worker: 'webhook as built (functions loaded, first 202)', medianMs: round(median(ours)), runs },
      { worker: 'same, every SDK loaded eagerly first', medianMs: round(median(eager)), runs },
    ],
  };
}

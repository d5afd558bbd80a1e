/**
 * `npm run bench`: prints figures as tables and writes them as JSON to bench/results/.
 * `npm run bench -- --quick` runs smaller loads. Figures, not pass/fail: targets are in README.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchColdStart } from './cold-start-bench';
import { printTable } from './stats';
import { benchWebhook, benchWebhookHandler } from './webhook-bench';
import { benchProcessor } from './processor-bench';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { benchPullPrinting } from './pull-printing-bench';

/** A benchmark that needs its own sandbox runs in a child process, which prints its figures last. */
async function inOwnProcess(file: string, quick: boolean): Promise<Awaited<ReturnType<typeof benchPullPrinting>>> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, file), ...(quick ? ['--quick'] : [])],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (!line) throw new Error(`${file} printed no result:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice('BENCH_RESULT '.length)) as Awaited<ReturnType<typeof benchPullPrinting>>;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 1e9),
      node: process.version,
    },
    quick,
  };
  const coldStart = benchColdStart();
  printTable('Cold start (median of fresh processes)', coldStart);
  results.coldStart = coldStart;

  const processor = await benchProcessor({ quick });
  printTable(
    'Processor, release path, against the simulator with no added latency (overhead = total - Graph time)',
    processor,
  );
  results.processor = processor;

  const handler = await benchWebhookHandler({ quick });
  printTable('Webhook handler alone (no HTTP, no storage): our code per request', handler);
  results.webhookHandler = handler;

  const webhook = await benchWebhook({ quick });
  printTable('Webhook acknowledgement over loopback HTTP, local host + Azurite', webhook);
  results.webhook = webhook;

  const pull = await inOwnProcess('pull-printing-bench.ts', quick);
  printTable('Pull printing: release request to the job on the chosen printer (simulator, no added latency)', [
    pull.release,
  ]);
  printTable("Pull printing: listing one user's held jobs among all held jobs (GET /api/release/jobs)", [pull.listing]);
  printTable('Release page weight (HTML + script + styles, no framework, no sign-in library)', [pull.page]);
  results.pullPrinting = pull;

  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${results.date as string}.json`.replace(/:/g, '-'));
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\nWritten to ${path.relative(process.cwd(), file)}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

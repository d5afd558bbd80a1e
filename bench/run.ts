/**
 * `npm run bench`: the speed figures, each beside its baseline and target, as one table at the end
 * (ratios are taken within one run: on shared cores only figures measured side by side compare).
 * Details are printed on the way and everything is written as JSON to bench/results/.
 * `npm run bench -- --quick` runs smaller loads (about a minute and a half instead of about four).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT, action, defineCommand, describeUse, runMain, type Terminal } from '../admin/cli/cli';
import os from 'node:os';
import path from 'node:path';
import { benchColdStart } from './cold-start-bench';
import { benchProcessor } from './processor-bench';
import { benchProcessorCpu } from './processor-cpu';
import { benchPullPrinting } from './pull-printing-bench';
import { benchReplay } from './replay-bench';
import { printTable, round } from './stats';
import { benchWebhook, benchWebhookHandler } from './webhook-bench';

/**
 * Figures whose baseline is the earlier code rather than a side-by-side run: this benchmark run on
 * `main` as it was before issue 15's changes (2026-12-02, quick run, 2 busy shared cores). The issue
 * counted 2 round trips (the writes around the Graph call); the recorder sees every request.
 */
export const BEFORE_ISSUE_15 = {
  processorCpuMs: '16.7 ms (main before #15)',
  sequentialRoundTrips: '5 p50, 7 max (main before #15)',
};

interface Figure {
  figure: string;
  baseline: string;
  now: string;
  target: string;
  /** Absent for a figure shown for reference only. */
  pass?: boolean;
}

async function main(quick: boolean): Promise<void> {
  const started = performance.now();
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 1e9),
      loadAverage: os.loadavg().map((n) => round(n)),
      node: process.version,
    },
    quick,
  };
  const figures: Figure[] = [];

  const cold = await benchColdStart({ quick });
  printTable(
    'Cold worker: every function file loaded, app-start hooks run, first notification acknowledged (median of fresh processes, Node start-up excluded)',
    cold.rows,
  );
  results.coldStart = cold;
  figures.push({
    figure: 'webhook cold load to first 202 / every SDK loaded eagerly',
    baseline: `${cold.eagerMs} ms`,
    now: `${cold.ratio} (${cold.oursMs} ms)`,
    target: '≤ 0.5 and ≤ 150 ms',
    pass: cold.ratio <= 0.5 && cold.oursMs <= 150,
  });

  const handler = await benchWebhookHandler({ quick });
  printTable('Webhook handler alone (no HTTP, no storage): our code per request', handler);
  results.webhookHandler = handler;

  const webhook = await benchWebhook({ quick });
  printTable(
    'Webhook acknowledgement over loopback HTTP (local Functions host) beside a bare Node server doing the same queue writes, same Azurite',
    webhook.rows,
  );
  results.webhook = webhook;
  figures.push({
    figure: 'webhook ack p99 at a steady 200 notifications/s',
    baseline: `${webhook.ackP99.bare} ms (bare server)`,
    now: `${webhook.ackP99.webhook} ms`,
    target: '≤ 20 ms',
    pass: webhook.ackP99.webhook <= 20 && webhook.failed === 0,
  });
  figures.push({
    figure: 'durable-ack throughput / bare Node server, same queue writes',
    baseline: `${webhook.throughput.bare} req/s`,
    now: `${webhook.throughput.ratio} (${webhook.throughput.webhook} req/s)`,
    target: '≥ 0.8',
    pass: webhook.throughput.ratio >= 0.8 && webhook.failed === 0,
  });

  const processor = await benchProcessor({ quick });
  printTable(
    'Processor, release path: real processor, Graph and storage clients; simulator and Azurite in another process',
    processor.rows,
  );
  results.processor = processor;
  // The processor's own code against fakes (bench/processor-cpu.ts, the processor's benchmark): the target's figure.
  const processorCpu = await benchProcessorCpu({ quick });
  printTable('Processor CPU per released task, its own code against fakes (bench/processor-cpu.ts)', [
    { ...processorCpu },
  ]);
  results.processorCpu = processorCpu;
  figures.push({
    figure: 'processor: our own CPU per released task (own code, fakes)',
    baseline: 'not measured before #15',
    now: `${processorCpu.cpuMsPerTask} ms`,
    target: '≤ 2 ms',
    pass: processorCpu.cpuMsPerTask <= 2,
  });
  figures.push({
    figure: '  same, with the real Graph and storage clients and TLS',
    baseline: BEFORE_ISSUE_15.processorCpuMs,
    now: `${processor.figures.cpuMeanMs} ms (mean)`,
    target: '(reference)',
  });
  figures.push({
    figure: 'storage round trips on the release path, one after another',
    baseline: BEFORE_ISSUE_15.sequentialRoundTrips,
    now: `${processor.figures.sequentialRoundTripsP50} p50, ${processor.figures.sequentialRoundTripsMax} max (of ${processor.figures.storageRequestsPerTask} requests)`,
    target: '1',
    pass: processor.figures.sequentialRoundTripsMax <= 1,
  });

  // In this process: one composition root with one reset lets a sandbox follow the benchmarks before it.
  const pull = await benchPullPrinting({ quick });
  printTable('Pull printing: release request to the job on the chosen printer (simulator, no added latency)', [
    pull.release,
  ]);
  printTable("Pull printing: listing one user's held jobs among all held jobs (GET /api/release/jobs)", [pull.listing]);
  printTable('Release page weight (HTML + script + styles, no framework, no sign-in library)', [pull.page]);
  results.pullPrinting = pull;

  const replayed = await benchReplay({ quick });
  printTable('Replay: a generated month of decisions replayed through a stricter policy (npm run policy -- replay)', [
    { ...replayed },
  ]);
  results.replay = replayed;
  figures.push({
    figure: `replay of ${replayed.records} recorded decisions`,
    baseline: '(new in #17)',
    now: `${replayed.seconds} s (${replayed.recordsPerSecond} records/s, ${replayed.cpuSeconds} s CPU)`,
    target: `≤ ${replayed.targetSeconds} s`,
    pass: replayed.seconds <= replayed.targetSeconds,
  });

  results.figures = figures;
  printTable(
    `Issue 15 figures (${quick ? 'quick run, ' : ''}${os.cpus().length} cores, ${Math.round((performance.now() - started) / 1000)} s)`,
    figures.map((f) => ({ ...f, pass: f.pass === undefined ? '' : f.pass ? 'pass' : 'FAIL' })),
  );

  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${results.date as string}.json`.replace(/:/g, '-'));
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\nWritten to ${path.relative(process.cwd(), file)}`);
}

export function command(terminal: Terminal): Command {
  const bench = defineCommand(
    'bench',
    'The speed figures (cold start, webhook, processor, pull printing, replay), each beside its baseline and target.',
    terminal,
  ).option('--quick', 'smaller loads: about a minute and a half instead of about four');
  describeUse(bench, {
    notes: [
      'Prints each table on the way and a summary of the figures (pass or FAIL against their targets) at the end;',
      'writes everything as JSON to bench/results/. Run it on a quiet machine: figures taken on busy cores vary.',
    ],
    examples: ['npm run bench -- --quick', 'npm run bench'],
    exitCodes: { [EXIT.ok]: 'the benchmarks ran (the table says which figures met their targets)' },
  });
  return bench.action(
    action(async (options: { quick?: boolean }) => {
      await main(!!options.quick);
      return EXIT.ok;
    }),
  );
}

if (require.main === module) runMain(command);

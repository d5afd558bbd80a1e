/**
 * `npm run demo`: starts the sandbox, prints a scripted set of jobs that exercises every decision
 * the demo policy makes, saying each decision as it comes, then lets a student reach the colour quota
 * one job at a time, waits for each job to reach its end state, plays pull printing (release on the
 * page, at a badge terminal, delete, expiry), prints a table for each, replays the demo's own history
 * through a stricter policy, stops everything, and exits 0 only if every job ended as expected.
 * Ctrl-C or a closed pipe (`npm run demo | head -3`) stops everything it started.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { action, defineCommand, describeUse, progress, runMain, type Terminal } from '../../admin/cli/cli';
import type { ReplayResult } from '../../admin/policy/replay';
import type { HostLogEntry } from '../host/invocation';
import type { SimJob, SimTask } from '../simulator/model';
import { startSandbox, type Sandbox, type SandboxOptions } from '../sandbox';
import { STUDENT_COLOUR_QUOTA } from './demo-policy';
import { pullPrintingSettings, releasePageQuotas, runPullPrintingDemo } from './pull-printing-demo';
import { replayDemoHistory, STRICTER_POLICY } from './replay-demo';
import { runPrinterStateDemo } from './printer-state-demo';
import { runExpiryDemo } from './expiry-demo';
import { delegationSettings, runDelegationDemo } from './delegation-demo';
import { runMessagesDemo } from './messages-demo';

/** As the README and `npm run policy -- replay` name it. */
const STRICTER_NAME = path.relative(path.resolve(__dirname, '../..'), STRICTER_POLICY);

interface Scenario {
  title: string;
  user: string;
  printer: 'floor1Color' | 'floor2Mono' | 'library' | 'hr' | 'pullQueue';
  document?: { displayName: string; size: number };
  configuration?: Record<string, unknown>;
  expect: { action: string; job: string; task: string };
}

const MB = 1024 * 1024;
export const SCENARIOS: Scenario[] = [
  {
    title: 'ordinary job',
    user: 'adele@contoso.example',
    printer: 'floor1Color',
    expect: { action: 'release', job: 'completed', task: 'completed' },
  },
  {
    title: 'too many copies',
    user: 'adele@contoso.example',
    printer: 'floor1Color',
    configuration: { copies: 20 },
    expect: { action: 'release-with-changes', job: 'completed', task: 'completed' },
  },
  {
    title: 'student job',
    user: 'sam.student@contoso.example',
    printer: 'library',
    configuration: { colorMode: 'color' },
    expect: { action: 'release-with-changes', job: 'completed', task: 'completed' },
  },
  {
    title: 'colour on a mono printer',
    user: 'megan@contoso.example',
    printer: 'floor2Mono',
    configuration: { colorMode: 'color' },
    expect: { action: 'redirect', job: 'completed', task: 'completed' },
  },
  {
    title: 'confidential document',
    user: 'megan@contoso.example',
    printer: 'floor1Color',
    document: { displayName: 'CONFIDENTIAL payroll.xlsx', size: 90_000 },
    expect: { action: 'deny', job: 'aborted', task: 'aborted' },
  },
  {
    title: 'very large document',
    user: 'adele@contoso.example',
    printer: 'library',
    document: { displayName: 'Scans.pdf', size: 40 * MB },
    expect: { action: 'deny', job: 'aborted', task: 'aborted' },
  },
  {
    title: 'confidential printer',
    user: 'megan@contoso.example',
    printer: 'hr',
    expect: { action: 'hold', job: 'paused', task: 'processing' },
  },
  {
    title: 'pull queue',
    user: 'lee.student@contoso.example',
    printer: 'pullQueue',
    expect: { action: 'hold', job: 'paused', task: 'processing' },
  },
];

/**
 * Sam Student reaches the demo policy's colour quota (5 colour copies this term; the "student job" above
 * took 1): printed one at a time, each after the last was decided, so the order is the story.
 */
export const QUOTA_SCENARIOS: Scenario[] = [
  {
    title: 'student colour poster, 4 copies',
    user: 'sam.student@contoso.example',
    printer: 'library',
    configuration: { colorMode: 'color', copies: 4 },
    expect: { action: 'release-with-changes', job: 'completed', task: 'completed' },
  },
  {
    title: 'student colour job over the quota',
    user: 'sam.student@contoso.example',
    printer: 'library',
    configuration: { colorMode: 'color' },
    expect: { action: 'deny', job: 'aborted', task: 'aborted' },
  },
  {
    title: 'student black-and-white job',
    user: 'sam.student@contoso.example',
    printer: 'library',
    configuration: { colorMode: 'blackAndWhite' },
    expect: { action: 'release-with-changes', job: 'completed', task: 'completed' },
  },
];

interface Outcome {
  scenario: Scenario;
  job: SimJob;
  task: SimTask;
  decided?: Record<string, unknown>;
  decidedMs?: number;
}

export async function runDemo(
  options: {
    log?: (line: string) => void;
    /** Progress of the sandbox's slow start-up steps. */
    steps?: SandboxOptions['steps'];
    /** Called once the sandbox runs (the command stops it on Ctrl-C or a closed pipe). */
    onStarted?: (sandbox: Sandbox) => void;
  } = {},
): Promise<{
  ok: boolean;
  rows: Record<string, string>[];
  pullRows: Record<string, string>[];
  replay: ReplayResult;
  printerState: Awaited<ReturnType<typeof runPrinterStateDemo>>;
  /** The expiry warning as mailed, the expiry it warned of and the one its keep link gave. */
  expiry: Awaited<ReturnType<typeof runExpiryDemo>>;
  /** The denial mails from the simulator's outbox. */
  messages: Awaited<ReturnType<typeof runMessagesDemo>>;
}> {
  const out = options.log ?? console.log;
  const logs: HostLogEntry[] = [];
  const started = new Date();
  const sandbox: Sandbox = await startSandbox({
    hostPort: 0,
    log: (entry) => logs.push(entry),
    settings: {
      RELEASE_GATE_POLICY_MODULE: path.join(__dirname, 'demo-policy.ts'),
      ...pullPrintingSettings(),
      ...delegationSettings(),
    },
    steps: options.steps,
  });
  options.onStarted?.(sandbox);
  try {
    out(`Printing ${SCENARIOS.length} jobs, one for each decision of the demo policy:`);
    const { simulator } = sandbox;
    const submit = (scenario: Scenario): Outcome => {
      const submitted = Date.now();
      const { job, task } = simulator.tenant.submitJob({
        printerId: simulator.demo!.printers[scenario.printer].id,
        userPrincipalName: scenario.user,
        configuration: scenario.configuration,
        document: scenario.document ?? { displayName: `${scenario.title}.pdf`, size: 150_000 },
      });
      return { scenario, job, task: task!, decidedMs: -submitted };
    };
    /** Waits for the job's decision and says it (a denial with the reason its owner is told). */
    const decided = async (outcome: Outcome, deadline: number, sayReason = false): Promise<void> => {
      for (;;) {
        const entry = logs.find(
          (l) => l.message.includes('"event":"task.finished"') && l.message.includes(outcome.task.id),
        );
        if (entry) {
          outcome.decided = JSON.parse(entry.message) as Record<string, unknown>;
          const decidedEntry = logs.find(
            (l) => l.message.includes('"event":"task.decided"') && l.message.includes(outcome.task.id),
          )!;
          outcome.decidedMs = decidedEntry.time.getTime() + (outcome.decidedMs ?? 0);
          const expected = outcome.decided.action === outcome.scenario.expect.action;
          const reason = sayReason && outcome.decided.action === 'deny' ? `: "${outcome.job.status.description}"` : '';
          out(
            `  ${outcome.scenario.title}: ${String(outcome.decided.action)} (${String(outcome.decided.rule ?? '-')})` +
              reason +
              (expected ? '' : ` — EXPECTED ${outcome.scenario.expect.action}`),
          );
          return;
        }
        if (Date.now() > deadline) {
          out(`  ${outcome.scenario.title}: no decision within 30 s`);
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    const outcomes: Outcome[] = SCENARIOS.map(submit);
    const deadline = Date.now() + 30_000;
    for (const outcome of outcomes) await decided(outcome, deadline);

    const quota = STUDENT_COLOUR_QUOTA;
    out(
      `\nColour quota: students may print ${quota.limit} colour copies a term (${simulator.demo!.term.start} to ` +
        `${simulator.demo!.term.end}). Sam Student prints ${QUOTA_SCENARIOS.length} more jobs, one at a time:`,
    );
    for (const scenario of QUOTA_SCENARIOS) {
      const outcome = submit(scenario);
      outcomes.push(outcome);
      await decided(outcome, Date.now() + 30_000, true);
    }
    await simulator.deliveriesSettled();
    await sandbox.host.queuesIdle();
    out(`  Sam's release page says: ${await releasePageQuotas(sandbox, 'sam.student@contoso.example')}`);
    // A redirected job's end state is the state of the job it became.
    const finalJob = (job: SimJob): SimJob => {
      if (!job.redirectedTo) return job;
      const [, printerId, jobId] = /printers\/([^/]+)\/jobs\/([^/]+)$/.exec(job.redirectedTo) ?? [];
      return finalJob(simulator.tenant.job(printerId!, jobId!));
    };

    let ok = true;
    const rows = outcomes.map(({ scenario, job, task, decided, decidedMs }) => {
      const endJob = finalJob(job);
      const good =
        decided?.action === scenario.expect.action &&
        endJob.status.state === scenario.expect.job &&
        task.status.state === scenario.expect.task;
      ok &&= good;
      return {
        job: `${job.id}${endJob !== job ? `→${endJob.id}` : ''}`,
        scenario: scenario.title,
        user: scenario.user,
        printer: simulator.demo!.printers[scenario.printer].displayName,
        rule: String(decided?.rule ?? '-'),
        decision: String(decided?.action ?? 'none'),
        job_state: endJob.status.state,
        task_state: task.status.state,
        ms_to_decision: decidedMs !== undefined && decidedMs > 0 ? String(decidedMs) : '-',
        result: good ? 'ok' : `EXPECTED ${scenario.expect.action}/${scenario.expect.job}/${scenario.expect.task}`,
      };
    });
    out('\nPolicy decisions:\n');
    printRows(rows, out);
    out('\nMessages to users: each denial mailed to its owner, in their language (the simulator outbox):');
    const messages = await runMessagesDemo(sandbox, out);
    ok &&= messages.ok;
    out('\nPull printing: jobs sent to the Follow-me Pull Queue, then released, deleted or left to expire:');
    const pull = await runPullPrintingDemo(sandbox, logs, out);
    out('\nPull printing (jobs sent to the Follow-me Pull Queue):\n');
    printRows(pull.rows, out);
    ok &&= pull.ok;
    out('\nA printer in error: refused with the reason and an alternative nearby:');
    const printerState = await runPrinterStateDemo(sandbox, logs, out);
    ok &&= printerState.ok;
    out('\nDelegates: a colleague releases a job for its owner:');
    ok &&= (await runDelegationDemo(sandbox, logs, out)).ok;
    out(`\nWhat if the policy had been stricter? This demo's decisions replayed through ${STRICTER_NAME}:\n`);
    const replayed = await replayDemoHistory(sandbox, started, out);
    out('\nBefore a hold expires: a warning whose keep link keeps the job longer:');
    const expiry = await runExpiryDemo(sandbox, logs, out);
    ok &&= expiry.ok;
    out(ok ? '\nEvery job ended as expected.' : '\nSome jobs did not end as expected.');
    return { ok, rows, pullRows: pull.rows, replay: replayed, printerState, expiry, messages };
  } finally {
    await sandbox.stop();
  }
}

function printRows(rows: Record<string, string>[], out: (line: string) => void): void {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  out(line(columns));
  out(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) out(line(columns.map((c) => row[c]!)));
}

/** Exit code: the demo ran, and some job did not end as the demo policy says it should. */
export const EXIT_UNEXPECTED = 3;

export function command(terminal: Terminal): Command {
  const command = defineCommand(
    'demo',
    'Start a sandbox, print a scripted set of jobs (one per decision of the demo policy), let a student ' +
      'reach the colour quota, play pull printing (release page, badge terminal, delete, expiry), print what ' +
      'happened, replay it all through a stricter policy, and stop everything.',
    terminal,
  ).action(action(() => run(terminal)));
  return describeUse(command, {
    examples: ['npm run demo', 'npm run demo | head -3   (a closed pipe stops everything the demo started)'],
    exitCodes: {
      0: 'every job ended as expected',
      1: 'the sandbox could not start or the demo failed (the message says why)',
      [EXIT_UNEXPECTED]: 'some job did not end as expected (its row in the tables says what was expected)',
    },
    notes: ['Uses free ports of its own: it runs beside `npm run sandbox`. Ctrl-C stops everything it started.'],
  });
}

async function run(terminal: Terminal): Promise<number> {
  let sandbox: Sandbox | undefined;
  let stopping = false;
  // Ctrl-C, or the reader of a pipe going away (EPIPE): stop what was started, then exit as a shell expects.
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    void (sandbox?.stop() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  const onSigint = () => stop(130);
  const onSigterm = () => stop(143);
  const onOutputError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') stop(141);
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  process.stdout.on('error', onOutputError);
  const write = (line: string) => {
    if (!stopping) terminal.out(line);
  };
  try {
    const { ok } = await runDemo({
      log: write,
      steps: (label) => progress(terminal, label),
      onStarted: (started) => (sandbox = started),
    });
    return ok ? 0 : EXIT_UNEXPECTED;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    process.stdout.off('error', onOutputError);
  }
}

if (require.main === module) runMain(command);

/**
 * `npm run print -- --user <upn> --printer <name> [--name Doc.pdf] [--size 2MB | --pages N] [--color] [--copies N]
 * [--duplex] [--port <host port>] [--wait [--timeout <s>]]`: submits a print job to a running sandbox's
 * simulator, as that user would print, and with --wait says what Release Gate decided.
 */
import { odata } from '@azure/data-tables';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import {
  action,
  defineCommand,
  describeUse,
  ExitError,
  nearest,
  paint,
  progress,
  runMain,
  UsageError,
  wholeNumber,
  type Terminal,
} from '../admin/cli/cli';
import type { AuditRecord } from '../src/audit/audit-log';
import { parseSettings } from '../src/config/load-settings';
import { createTableClient } from '../src/storage/storage-clients';
import { readRunning, readSandboxSettings, type RunningSandbox } from './state-file';

/** Exit codes beyond 0/1/2 (documented in --help). */
export const EXIT_DENIED = 3;
export const EXIT_NO_DECISION = 4;

const units: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** `250KB`, `2 MB`, `100` (bytes): a document size as people write it. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(text.trim());
  const size = match ? Math.round(Number(match[1]) * units[(match[2] ?? 'B').toUpperCase()]!) : 0;
  if (!match || size < 1 || size > 10 * units.GB!)
    throw new InvalidArgumentError(`--size takes a size from 1 B to 10 GB like 250KB or 2MB, not "${text}".`);
  return size;
}

interface Printer {
  id: string;
  displayName: string;
}

/**
 * The printer a name means: the one named exactly (any case), else the only one whose name contains
 * it. Several matches are refused with their names; none gets the nearest name suggested.
 */
export function matchPrinter(wanted: string, printers: Printer[]): Printer {
  const lower = wanted.trim().toLowerCase();
  const exact = printers.find((p) => p.displayName.toLowerCase() === lower);
  if (exact) return exact;
  const containing = printers.filter((p) => p.displayName.toLowerCase().includes(lower));
  if (containing.length === 1) return containing[0]!;
  const names = (list: Printer[]) => list.map((p) => `"${p.displayName}"`).join(', ');
  if (containing.length > 1)
    throw new UsageError(
      `--printer "${wanted}" matches ${containing.length} printers: ${names(containing)}. Name one.`,
    );
  const near = nearest(
    wanted,
    printers.map((p) => p.displayName),
  );
  throw new UsageError(
    `No printer is called "${wanted}".${near ? ` Did you mean "${near}"?` : ''} Printers: ${names(printers)}.`,
  );
}

/** The user a sign-in name means (any case); an unknown one gets the nearest name suggested. */
export function matchUser(wanted: string, users: string[]): string {
  const found = users.find((u) => u.toLowerCase() === wanted.trim().toLowerCase());
  if (found) return found;
  const near = nearest(wanted, users);
  throw new UsageError(
    `No user ${wanted} in the sandbox's tenant.${near ? ` Did you mean ${near}?` : ''} Users: ${users.join(', ')}.`,
  );
}

interface Options {
  user: string;
  printer: string;
  name: string;
  size: number;
  pages?: number;
  copies: number;
  color: boolean;
  duplex: boolean;
  port?: number;
  wait: boolean;
  timeout: number;
}

export function command(terminal: Terminal): Command {
  const command = defineCommand(
    'print',
    'Print a job to the running sandbox, as a user of its tenant would (the simulator creates the job and ' +
      'Release Gate decides on it). With --wait, say what was decided.',
    terminal,
  )
    .requiredOption('--user <upn>', 'who prints (a user of the demo tenant, e.g. adele@contoso.example)')
    .requiredOption('--printer <name>', 'the printer: its name, or a part of it that names only one')
    .option('--name <document>', 'the document name', 'Document.pdf')
    .option('--size <size>', 'the document size, e.g. 250KB, 2MB', parseSize, 200 * 1024)
    .option(
      '--pages <n>',
      "the document is a real PDF of this many pages, 1 to 10000 (page counting reads it; its size is the PDF's)",
      wholeNumber(1, 10000),
    )
    .option('--copies <n>', 'copies, 1 to 999', wholeNumber(1, 999), 1)
    .option('--color', 'print in colour (default black and white)', false)
    .option('--duplex', 'print on both sides (default one-sided)', false)
    .option(
      '--port <port>',
      'the sandbox to print to, by its Functions host port (when several run)',
      wholeNumber(1, 65535),
    )
    .option('--wait', 'wait for the decision and print it', false)
    .option('--timeout <seconds>', 'with --wait: how long to wait for the decision', wholeNumber(1, 3600), 60)
    .action(action((options: Options) => run(options, terminal)));
  return describeUse(command, {
    examples: [
      'npm run print -- --user adele@contoso.example --printer "HQ Floor 1 Color" --wait',
      'npm run print -- --user megan@contoso.example --printer "Floor 2" --color --name Report.pdf --wait',
      'npm run print -- --user sam.student@contoso.example --printer "School Library" --copies 2 --duplex',
      'npm run print -- --user sam.student@contoso.example --printer "School Library" --color --pages 12 --wait',
      'npm run print -- --user adele@contoso.example --printer "Follow-me" --port 7072   (when two sandboxes run)',
    ],
    exitCodes: {
      0: 'the job was submitted (with --wait: released, released with changes, redirected or held)',
      1: 'no sandbox answered, or the simulator refused the job (the message says why)',
      [EXIT_DENIED]: 'with --wait: the job was denied (the reason is printed)',
      [EXIT_NO_DECISION]: 'with --wait: no decision within --timeout',
    },
  });
}

async function control<T>(running: RunningSandbox, path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${running.simulatorUrl}/_control${path}`, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new Error(
      `The sandbox's simulator at ${running.simulatorUrl} did not answer (${cause}). Is the sandbox still running?`,
    );
  }
  const body = (await response.json()) as T & { error?: { message?: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `The simulator answered ${response.status}.`);
  return body;
}

async function run(options: Options, terminal: Terminal): Promise<number> {
  const running = readRunning(options.port);
  const [printers, users] = await Promise.all([
    control<{ value: Printer[] }>(running, '/printers'),
    control<{ value: { userPrincipalName: string }[] }>(running, '/users'),
  ]);
  const printer = matchPrinter(options.printer, printers.value);
  const user = matchUser(
    options.user,
    users.value.map((u) => u.userPrincipalName),
  );
  const body = await control<{ job: { id: string; status: { state: string } }; task?: { id: string } }>(
    running,
    '/jobs',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        printerId: printer.id,
        userPrincipalName: user,
        configuration: {
          copies: options.copies,
          colorMode: options.color ? 'color' : 'blackAndWhite',
          duplexMode: options.duplex ? 'flipOnLongEdge' : 'oneSided',
        },
        document: {
          displayName: options.name,
          contentType: 'application/pdf',
          ...(options.pages === undefined ? { size: options.size } : { pages: options.pages }),
        },
      }),
    },
  );
  terminal.out(
    `Job ${body.job.id} on "${printer.displayName}" as ${user}: ${body.job.status.state}` +
      (body.task ? `, task ${body.task.id} processing` : ' (no Release Gate trigger on this printer)'),
  );
  if (!options.wait) return 0;
  if (!body.task) throw new Error('This printer has no Release Gate trigger: there is no decision to wait for.');
  const record = await waitForDecision(running, body.task.id, options.timeout, terminal);
  const names = new Map(printers.value.map((p) => [p.id, p.displayName]));
  const { text, exitCode } = describeDecision(record, running, names);
  const colour = paint(exitCode === 0 ? terminal.color.out : terminal.color.err);
  if (exitCode === 0) terminal.out(colour.green(text));
  else terminal.err(colour.red(text));
  return exitCode;
}

/** Reads the app's audit record of the task (its journal) until it is no longer pending. */
async function waitForDecision(
  running: RunningSandbox,
  taskId: string,
  timeoutSeconds: number,
  terminal: Terminal,
): Promise<AuditRecord> {
  const settings = parseSettings(readSandboxSettings(running));
  const table = createTableClient(settings, settings.RELEASE_GATE_AUDIT_TABLE);
  const step = progress(terminal, 'Waiting for the decision');
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (Date.now() < deadline) {
    try {
      for await (const entity of table.listEntities<{ record: string }>({
        queryOptions: { filter: odata`RowKey eq ${taskId}` },
      })) {
        const record = JSON.parse(entity.record) as AuditRecord;
        if (record.outcome !== 'pending') {
          step.done(record.outcome);
          return record;
        }
      }
    } catch (error) {
      // The table is made with the first decision: until then there is nothing to read.
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  step.fail('no decision');
  throw new ExitError(
    `No decision within ${timeoutSeconds} s. The sandbox's log says what happened to task ${taskId}; ` +
      'wait longer with --timeout.',
    EXIT_NO_DECISION,
  );
}

const duration = (minutes: number) =>
  minutes >= 60 && minutes % 60 === 0
    ? `${minutes / 60} h`
    : minutes >= 60
      ? `${(minutes / 60).toFixed(1)} h`
      : `${minutes} min`;

/** What was decided, for a person, and the exit code for it. */
export function describeDecision(
  record: AuditRecord,
  running: Pick<RunningSandbox, 'hostUrl'>,
  printerNames: Map<string, string>,
): { text: string; exitCode: number } {
  const decision = record.decision;
  const rule = `rule "${record.rule}"`;
  const named = (id: string) => `"${printerNames.get(id) ?? id}"`;
  const changes = (c: unknown) =>
    Object.entries((c ?? {}) as Record<string, unknown>)
      .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
      .join(', ');
  switch (record.outcome) {
    case 'released':
      return { text: `Released (${rule}): the job prints on ${named(record.printerId)}.`, exitCode: 0 };
    case 'released-with-changes':
      return {
        text: `Released with changes (${rule}): ${decision.action === 'release-with-changes' ? changes(decision.changes) : ''}.`,
        exitCode: 0,
      };
    case 'redirected':
      return {
        text: `Redirected (${rule}) to ${named(record.destinationPrinterId ?? (decision.action === 'redirect' ? decision.printerId : ''))}.`,
        exitCode: 0,
      };
    case 'denied':
      return {
        text: `Denied (${rule}): ${record.reason ?? (decision.action === 'deny' ? decision.reason : '')}`,
        exitCode: EXIT_DENIED,
      };
    case 'held': {
      const hold = decision.action === 'hold' ? decision : undefined;
      const where = hold?.releaseAt?.length ? hold.releaseAt.map(named).join(', ') : 'any release printer';
      const page = `${running.hostUrl}/api/release${hold?.releaseAt?.length === 1 ? `?printer=${hold.releaseAt[0]}` : ''}`;
      return {
        text:
          `Held (${rule}): release it at ${where}, on the release page ${page} (sign in as the user) ` +
          `or at a badge terminal; kept for ${hold ? `${duration(hold.expiresInMinutes)}, then ${hold.onExpiry === 'deny' ? 'deleted' : 'released'}` : 'a while'}.`,
        exitCode: 0,
      };
    }
    case 'failed-safe': {
      // The detail says what the fail-safe did: "denied by the fail-safe (…): …" or "released by …".
      const denied = /^denied/.test(record.detail ?? '');
      return {
        text: `Release Gate could not act as decided: ${record.detail ?? `the fail-safe applied (${rule})`}.`,
        exitCode: denied ? EXIT_DENIED : 0,
      };
    }
    default:
      return { text: `Outcome ${record.outcome} (${rule})${record.detail ? `: ${record.detail}` : ''}.`, exitCode: 0 };
  }
}

if (require.main === module) runMain(command);

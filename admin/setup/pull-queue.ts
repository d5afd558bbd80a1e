import type { PrintApi } from '../../src/graph/print-api';
import type { Printer, PrinterShare, PrintTaskTrigger } from '../../src/graph/print-schemas';
import { ensureTaskTrigger } from './ensure-task-trigger';
import { registerVirtualPrinter, type RegistrationPacing } from './printer-registration';
import type { SetupApp } from './setup-app';
import { isRecorded } from '../../src/setup/trigger-record';

/** Progress for a slow step (admin/cli/cli.ts progress()): says it started, then how long, then how it ended. */
export type Step = (label: string) => { done(result?: string): void; fail(result: string): void };

/**
 * A pull queue: a printer users print to, shared with them, with Release Gate's trigger on it so
 * that every job is held for release. Either a virtual printer registered here (with a delegated
 * Printer Administrator token, as Graph requires) or an existing printer the admin adopts. A virtual
 * printer also gets its printer attributes (step 3 of Graph's pull-printing flow: without them it is not
 * accepting jobs), written by the deployed app with its own token, as Graph requires.
 * Idempotent: a printer, its attributes, share or trigger that exists is reused, never replaced.
 */
export interface PullQueueOptions extends RegistrationPacing {
  /** Register (or find, by this name) a virtual printer… */
  displayName?: string;
  /** …or adopt this existing printer. */
  adoptPrinterId?: string;
  definition: { id: string; url: string };
  /** The deployed app: writes the printer attributes, keeps the record of our triggers. */
  app: Pick<SetupApp, 'pullQueueAttributes' | 'triggerRecord'>;
  /** `${graph base}/v1.0/print/printers/<id>`: how a share names its printer. */
  printerUrl: (printerId: string) => string;
  allowAllUsers: boolean;
  dryRun?: boolean;
  log?: (line: string) => void;
  /** Progress for registering a printer (Graph's operation can take minutes); default: a line before and after. */
  step?: Step;
}

export type TriggerState = 'created' | 'exists' | 'conflict';

export interface PullQueueResult {
  /** Absent only in a dry run that would register the printer. */
  printer?: Printer;
  share?: PrinterShare;
  trigger?: { state: TriggerState; trigger?: PrintTaskTrigger };
  /** What this run created (or set); in a dry run, what it would. */
  created: { printer: boolean; attributes: boolean; share: boolean; trigger: boolean };
}

export async function ensurePullQueue(api: PrintApi, options: PullQueueOptions): Promise<PullQueueResult> {
  const log = options.log ?? (() => undefined);
  const dryRun = !!options.dryRun;
  const created = { printer: false, attributes: false, share: false, trigger: false };

  let printer = await findPrinter(api, options);
  if (printer) {
    log(`${options.adoptPrinterId ? 'Adopting' : 'Found'} the pull queue "${printer.displayName}" (${printer.id}).`);
  } else if (dryRun) {
    log(
      `Would register the pull queue "${options.displayName}", set its printer attributes, share it and put the trigger on it.`,
    );
    return { created: { printer: true, attributes: true, share: true, trigger: true } };
  } else {
    // Graph's registration is a long-running operation: with a progress display, say how long it has waited.
    const step = options.step?.(
      `Registering the pull queue "${options.displayName}" (a virtual printer; this can take minutes)`,
    );
    if (!step) log(`Registering the pull queue "${options.displayName}" (a virtual printer)…`);
    try {
      printer = await registerVirtualPrinter(api, options.displayName!, options);
    } catch (error) {
      step?.fail('failed');
      throw error;
    }
    step?.done('registered');
    created.printer = true;
    log(`Registered the pull queue "${printer.displayName}" (${printer.id}).`);
  }

  created.attributes = await ensureAttributes(printer, options, log);
  const share = await ensureShare(api, printer, options, log);
  created.share = share.created;
  const trigger = await ensureTrigger(api, printer, options, log);
  created.trigger = trigger.state === 'created';
  return { printer, ...(share.share ? { share: share.share } : {}), trigger, created };
}

async function findPrinter(api: PrintApi, options: PullQueueOptions): Promise<Printer | undefined> {
  if (options.adoptPrinterId) return api.getPrinter(options.adoptPrinterId);
  if (!options.displayName?.trim()) throw new Error('Name the pull queue to register, or the printer to adopt.');
  const name = options.displayName.trim().toLowerCase();
  const matches = (await api.listPrinters()).filter((p) => p.displayName?.trim().toLowerCase() === name);
  if (matches.length > 1)
    throw new Error(
      `${matches.length} printers are called "${options.displayName}" (${matches.map((p) => p.id).join(', ')}): adopt one with --adopt <id>.`,
    );
  return matches[0];
}

/** A virtual printer's attributes (the app writes them); a printer with a device has its own. */
async function ensureAttributes(printer: Printer, options: PullQueueOptions, log: (line: string) => void) {
  if (printer.hasPhysicalDevice) {
    log('It has a device behind it, which gives it its printer attributes.');
    return false;
  }
  const outcome = await options.app.pullQueueAttributes(printer.id, !!options.dryRun);
  if (outcome.state === 'unchanged') {
    log('Its printer attributes are set.');
    return false;
  }
  log(
    `${outcome.state === 'would-set' ? 'Would set' : 'Set'} its printer attributes (IPP, as Windows clients need them; ` +
      `Graph showed: ${outcome.differences.join('; ')}).`,
  );
  return true;
}

/** Users see a printer only through its share; Graph allows one share per printer. */
async function ensureShare(
  api: PrintApi,
  printer: Printer,
  options: PullQueueOptions,
  log: (line: string) => void,
): Promise<{ share?: PrinterShare; created: boolean }> {
  const [existing] = await api.listPrinterShares(printer.id);
  if (existing) {
    // Reported, not changed: who may print to an existing share is the admin's decision.
    const access = existing.allowAllUsers ? 'all users' : 'the users and groups granted in the portal';
    log(`It is already shared as "${existing.displayName}" (${existing.id}), for ${access}.`);
    return { share: existing, created: false };
  }
  const audience = options.allowAllUsers
    ? 'for all users'
    : 'for nobody yet: grant users in the Universal Print portal';
  if (options.dryRun) {
    log(`Would share it ${audience}.`);
    return { created: true };
  }
  // The share's name is what users see in their printer list; Graph allows 50 characters.
  const name = (printer.displayName ?? options.displayName ?? printer.id).slice(0, 50);
  const share = await api.createPrinterShare(options.printerUrl(printer.id), name, options.allowAllUsers);
  log(`Shared it as "${share.displayName}" (${share.id}) ${audience}.`);
  return { share, created: true };
}

/** Our trigger on it (by our record): one per printer in Universal Print; any other is reported, never replaced. */
async function ensureTrigger(
  api: PrintApi,
  printer: Printer,
  options: PullQueueOptions,
  log: (line: string) => void,
): Promise<{ state: TriggerState; trigger?: PrintTaskTrigger }> {
  let outcome: { state: TriggerState; trigger?: PrintTaskTrigger };
  if (options.dryRun) {
    const [triggers, recorded] = await Promise.all([
      api.listTaskTriggers(printer.id),
      options.app.triggerRecord.list(),
    ]);
    const ours = triggers.find((t) => isRecorded(recorded, printer.id, t.id));
    outcome = ours
      ? { state: 'exists', trigger: ours }
      : triggers[0]
        ? { state: 'conflict', trigger: triggers[0] }
        : { state: 'created' };
  } else {
    const result = await ensureTaskTrigger(api, printer.id, options.definition, options.app.triggerRecord);
    outcome = { state: result.status, trigger: result.trigger };
  }
  if (outcome.state === 'conflict')
    log(
      `It has another app's task trigger (${outcome.trigger?.id}; or one Release Gate did not record), left as it is: ` +
        'Release Gate will not hold its jobs until that trigger is removed.',
    );
  else if (outcome.state === 'exists') log('Release Gate’s trigger is on it.');
  else log(options.dryRun ? 'Would put Release Gate’s trigger on it.' : 'Put Release Gate’s trigger on it.');
  return outcome;
}

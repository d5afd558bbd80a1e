/**
 * `npm run setup -- [options]`: the admin's set-up of Release Gate in a tenant. Signs the admin in once
 * with the device-code flow (a Printer Administrator, through Release Gate's own app registration,
 * as Graph requires for task triggers), gets the task definition from the Function App (created with
 * the app's identity), and puts Release Gate's trigger on the chosen printers, or takes it off
 * (--teardown). Every trigger it creates is recorded in the app's storage (through the app): only a
 * recorded trigger is Release Gate's; any other is reported, never removed. Idempotent; --dry-run shows
 * what it would change. Settings come from flags or the environment (azd writes them to .azure/<env>/.env),
 * or from the running sandbox with --sandbox. `npm run setup -- --help` lists them.
 */
import { Command, Option } from 'commander';
import {
  EXIT,
  UsageError,
  action,
  defineCommand,
  describeUse,
  oneOf,
  progress,
  runMain,
  type Terminal,
} from '../admin/cli/cli';
import { CLOUDS } from '../src/graph/graph-endpoints';
import { adminPrintApi, SANDBOX_SIGN_IN_NOTE } from '../admin/setup/admin-sign-in';

export { SANDBOX_SIGN_IN_NOTE };
import type { PrintApi } from '../src/graph/print-api';
import { ensurePullQueue, type PullQueueOptions, type Step } from '../admin/setup/pull-queue';
import {
  applyTriggerPlan,
  claimTrigger,
  listTriggerOwnership,
  planTriggers,
  setupHint,
  type TriggerOwnership,
  type TriggerChange,
} from '../admin/setup/printer-triggers';
import { setupApp, type SetupApp } from '../admin/setup/setup-app';
import { CLOUD_NAMES, addAdminToolOptions, withSandbox, type AdminToolFlags } from '../admin/setup/admin-tool-args';

/** Exit code: a printer carries a trigger that is not Release Gate's (reported, left alone). */
export const EXIT_CONFLICTS = 3;

export interface SetupOptions {
  tenant: string;
  clientId: string;
  /** The admin-tools app registration the admin signs in through (RELEASE_GATE_ADMIN_APP_CLIENT_ID). */
  adminClientId: string;
  /** The deployed app: task definition, trigger record, pull queues' attributes. */
  functionUrl: string;
  functionKey?: string;
  taskDefinitionId?: string;
  /** all, names with * wildcards (comma-separated), or '' for none. */
  printers: string;
  pullQueues: string[];
  adopt: string[];
  /** Printers whose current trigger the admin declares ours (recorded without being created). */
  claimTriggers: string[];
  shareWithAllUsers: boolean;
  teardown: boolean;
  dryRun: boolean;
  cloud: keyof typeof CLOUDS;
  authorityHost?: string;
  graphBaseUrl?: string;
  /** Against the sandbox: its simulator approves the device code itself, so no prompt is shown. */
  sandbox?: boolean;
}

interface SetupFlags extends AdminToolFlags {
  printers?: string;
  pullQueue?: string[];
  adopt?: string[];
  claimTrigger?: string[];
  shareWithAllUsers?: boolean;
  shareWith?: 'all' | 'none';
  teardown?: boolean;
  dryRun?: boolean;
}

const repeat = (value: string, previous: string[] = []) => [...previous, value];

/** Set-up's options on `command` (shared with the tests' parseSetupArgs). */
function addSetupOptions(command: Command, env: NodeJS.ProcessEnv): Command {
  return addAdminToolOptions(command, env)
    .option(
      '--printers <names>',
      'all, or names with * wildcards, comma-separated (default all; none besides the pull queues with --pull-queue or --adopt)',
    )
    .option(
      '--pull-queue <name>',
      'register (or find) a virtual pull-queue printer, set its attributes (needs RELEASE_GATE_ALLOW_PULL_QUEUE_SETUP), share it, put the trigger on it (repeatable)',
      repeat,
    )
    .option('--adopt <printer id>', 'use an existing printer as a pull queue (repeatable)', repeat)
    .option('--share-with-all-users', 'a new share lets every user print (the default)')
    .option('--no-share-with-all-users', 'or nobody yet (grant users in the Universal Print portal)')
    .addOption(
      new Option('--share-with <who>', 'all or none (the same as the two above)').argParser(
        oneOf(['all', 'none'] as const),
      ),
    )
    .option(
      '--claim-trigger <printer id>',
      "record the trigger on that printer as Release Gate's (one made before set-up kept its record; only on your word) (repeatable)",
      repeat,
    )
    .option('--teardown', "remove Release Gate's (recorded) triggers from every printer")
    .option('--dry-run', 'show the plan, change nothing');
}

/** The options a run needs, from the flags (with --sandbox applied); a UsageError says what is missing or at odds. */
export function setupOptionsFrom(command: Command, env: NodeJS.ProcessEnv = process.env): SetupOptions {
  const flags = withSandbox(command, command.opts<SetupFlags>(), env);
  const values = {
    ...flags,
    pullQueue: flags.pullQueue ?? [],
    adopt: flags.adopt ?? [],
    claimTrigger: flags.claimTrigger ?? [],
  };
  const missing = [!values.tenant && '--tenant', !values.clientId && '--client-id'].filter(Boolean);
  if (missing.length)
    throw new UsageError(
      `Missing ${missing.join(' and ')} (or RELEASE_GATE_TENANT_ID / RELEASE_GATE_APP_CLIENT_ID; --sandbox for the sandbox's)`,
    );
  if (!(CLOUD_NAMES as string[]).includes(values.cloud))
    throw new UsageError(
      `--cloud (or RELEASE_GATE_CLOUD) "${values.cloud}" is not one of ${CLOUD_NAMES.join(', ')}` +
        (values.cloud === 'china' ? ': Microsoft Graph offers no Universal Print APIs in 21Vianet' : ''),
    );
  const shareWith = values.shareWith;
  const shareWithAllUsers = values.shareWithAllUsers ?? (shareWith ?? 'all') === 'all';
  if (shareWith !== undefined && shareWithAllUsers !== (shareWith === 'all'))
    throw new UsageError('--share-with and --[no-]share-with-all-users say different things: give one');
  const pullQueues = values.pullQueue.length + values.adopt.length > 0;
  if (values.teardown && pullQueues) throw new UsageError('--teardown cannot be combined with --pull-queue or --adopt');
  if (!values.functionUrl) {
    throw new UsageError(
      'Give --function-url (or RELEASE_GATE_FUNCTION_APP_URL): the deployed app creates the task definition and keeps ' +
        "the record of Release Gate's task triggers",
    );
  }
  if (values.sandbox && !values.functionKey)
    throw new UsageError(
      'This sandbox does not say its master key (it was started before it did): pass --function-key=<the master key ' +
        'its banner shows>, or restart it.',
    );
  return {
    tenant: values.tenant!,
    clientId: values.clientId!,
    adminClientId: values.adminClientId ?? values.clientId!,
    functionUrl: values.functionUrl,
    functionKey: values.functionKey || undefined,
    taskDefinitionId: values.taskDefinitionId || undefined,
    // Adding a pull queue (or claiming a trigger) changes no other printer unless the admin names them.
    printers: values.printers ?? (pullQueues || values.claimTrigger.length > 0 ? '' : 'all'),
    pullQueues: values.pullQueue,
    adopt: values.adopt,
    claimTriggers: values.claimTrigger,
    shareWithAllUsers,
    teardown: !!values.teardown,
    dryRun: !!values.dryRun,
    cloud: values.cloud as keyof typeof CLOUDS,
    authorityHost: values.authorityHost || undefined,
    graphBaseUrl: values.graphBaseUrl || undefined,
    ...(values.sandbox ? { sandbox: true } : {}),
  };
}

/** The options from a command line, as `npm run setup` reads it (for tests and other tools). */
export function parseSetupArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): SetupOptions {
  const command = addSetupOptions(new Command().exitOverride().configureOutput({ writeErr: () => undefined }), env);
  command.parse(argv, { from: 'user' });
  return setupOptionsFrom(command, env);
}

const wildcard = (p: string) =>
  new RegExp(
    `^${p
      .trim()
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')}$`,
    'i',
  );

export async function runSetup(
  options: SetupOptions,
  out: (line: string) => void = console.log,
  step?: Step,
): Promise<{ changes: number; conflicts: number; taskDefinitionId?: string }> {
  const graphBase = (options.graphBaseUrl ?? CLOUDS[options.cloud].graph).replace(/\/+$/, '');
  // Signed in through the admin-tools app registration: delegated permissions only (graph-app.bicep).
  const admin = adminPrintApi(
    { ...options, clientId: options.adminClientId },
    options.sandbox ? () => out(SANDBOX_SIGN_IN_NOTE) : out,
  );
  const app = setupApp(options.functionUrl, options.functionKey);

  let taskDefinitionId = options.taskDefinitionId;
  if (!taskDefinitionId) {
    if (options.dryRun) {
      out('Would ask the app to find or create the task definition.');
    } else {
      const definition = await app.taskDefinition();
      taskDefinitionId = definition.id;
      out(`${definition.created ? 'Created' : 'Found'} the task definition ${definition.id}.`);
    }
  }

  const definition = {
    id: taskDefinitionId ?? '(not yet created)',
    url: `${graphBase}/v1.0/print/taskDefinitions/${taskDefinitionId}`,
  };
  let claimed = 0;
  for (const printerId of options.claimTriggers) {
    if (!taskDefinitionId) throw new Error('--claim-trigger needs the task definition: give --task-definition-id');
    const claim = await claimTrigger(admin, app.triggerRecord, printerId, taskDefinitionId, options.dryRun);
    if (claim.state === 'already-ours')
      out(`The trigger ${claim.triggerId} on printer ${printerId} is already recorded.`);
    else {
      claimed++;
      out(
        `${options.dryRun ? 'Would record' : 'Recorded'} the trigger ${claim.triggerId} on printer ${printerId} as Release Gate's.`,
      );
    }
  }
  const queues = await setUpPullQueues(admin, app, options, {
    definition,
    printerUrl: (id) => `${graphBase}/v1.0/print/printers/${id}`,
    out,
    step,
  });

  let pending: TriggerChange[] = [];
  let forgotten = 0;
  let conflicts = queues.conflicts;
  const names =
    options.printers.toLowerCase() === 'all' ? undefined : options.printers.split(',').filter((n) => n.trim());
  if (options.teardown || !names || names.length > 0) {
    let ownership: TriggerOwnership;
    // A Graph call per printer: in a large tenant, seconds.
    const reading = step?.('Reading the printers and their triggers');
    try {
      ownership = await listTriggerOwnership(admin, app.triggerRecord);
    } catch (error) {
      reading?.fail('failed');
      throw new Error(setupHint(error));
    }
    reading?.done(`${ownership.printers.length} printer(s)`);
    const states = ownership.printers;
    const patterns = names?.map(wildcard);
    const plan = planTriggers(
      states,
      (s) => !patterns || patterns.some((n) => n.test(s.displayName)),
      options.teardown,
    );
    out('');
    out('Printer                                   Trigger now   Change');
    for (const step of plan) {
      const state = states.find((s) => s.printerId === step.printerId)!;
      out(
        `${step.displayName.padEnd(40)}  ${state.trigger.padEnd(12)}  ${step.change}${step.change === 'conflict' ? `: ${step.detail}` : ''}`,
      );
    }
    conflicts += plan.filter((p) => p.change === 'conflict').length;
    pending = plan.filter((p) => p.change === 'create' || p.change === 'remove');
    if (!options.dryRun) {
      try {
        for (const line of await applyTriggerPlan(admin, pending, states, definition, app.triggerRecord)) out(line);
      } catch (error) {
        throw new Error(setupHint(error));
      }
    }
    // Records of triggers that are gone (removed in the portal, printer deleted): teardown forgets them.
    for (const stale of ownership.staleRecords) {
      out(`Recorded trigger ${stale.triggerId} is no longer on printer ${stale.printerId}.`);
      if (options.teardown) {
        forgotten++;
        if (!options.dryRun) await app.triggerRecord.remove(stale.printerId, stale.triggerId);
      }
    }
  }
  const changes = pending.length + queues.changes + forgotten + claimed;
  if (options.dryRun) {
    out(`\nDry run: ${changes} change(s) would be made, ${conflicts} conflict(s).`);
    return { changes: 0, conflicts, taskDefinitionId };
  }
  out(`\n${changes} change(s), ${conflicts} conflict(s).`);
  if (!options.teardown && taskDefinitionId && !options.taskDefinitionId) {
    out(`Next: azd env set RELEASE_GATE_TASK_DEFINITION_ID ${taskDefinitionId} && azd provision`);
    out('Then the maintain-subscription function subscribes Graph to the webhook (within 30 minutes, or run it now).');
  }
  return { changes, conflicts, taskDefinitionId };
}

/** Each --pull-queue and --adopt, in order; what they changed (or would) and their trigger conflicts. */
async function setUpPullQueues(
  admin: PrintApi,
  app: SetupApp,
  options: SetupOptions,
  context: Pick<PullQueueOptions, 'definition' | 'printerUrl'> & { out: (line: string) => void; step?: Step },
): Promise<{ changes: number; conflicts: number }> {
  const queues = [
    ...options.pullQueues.map((displayName) => ({ displayName })),
    ...options.adopt.map((adoptPrinterId) => ({ adoptPrinterId })),
  ];
  let changes = 0;
  let conflicts = 0;
  for (const queue of queues) {
    context.out('');
    try {
      const result = await ensurePullQueue(admin, {
        ...queue,
        definition: context.definition,
        app,
        printerUrl: context.printerUrl,
        allowAllUsers: options.shareWithAllUsers,
        dryRun: options.dryRun,
        log: context.out,
        ...(context.step ? { step: context.step } : {}),
      });
      changes += Object.values(result.created).filter(Boolean).length;
      if (result.trigger?.state === 'conflict') conflicts++;
    } catch (error) {
      throw new Error(setupHint(error));
    }
  }
  return { changes, conflicts };
}

export function command(terminal: Terminal, env: NodeJS.ProcessEnv = process.env): Command {
  const setup = addSetupOptions(
    defineCommand(
      'setup',
      "Puts Release Gate's task trigger on printers (or takes it off), and sets up pull queues.",
      terminal,
    ),
    env,
  );
  describeUse(setup, {
    notes: [
      'The admin signs in once (device code, as a Printer Administrator). Flags default to the environment',
      '(eval "$(azd env get-values)"); --sandbox takes everything from the running sandbox instead.',
    ],
    examples: [
      'npm run setup -- --sandbox --dry-run',
      'npm run setup -- --sandbox --printers "HQ *"',
      'npm run setup -- --sandbox --pull-queue "Follow-me Pull Queue"',
      'eval "$(azd env get-values)" && npm run setup -- --function-key=<master key> --printers all',
      'npm run setup -- --function-key=<master key> --teardown',
    ],
    exitCodes: { [EXIT_CONFLICTS]: "a printer carries another app's trigger (reported, left alone)" },
  });
  return setup.action(
    action(async () => {
      const options = setupOptionsFrom(setup, env);
      const result = await runSetup(
        options,
        (line) => terminal.out(line),
        (label) => progress(terminal, label),
      );
      return result.conflicts > 0 ? EXIT_CONFLICTS : EXIT.ok;
    }),
  );
}

if (require.main === module) runMain((terminal) => command(terminal));

/**
 * `npm run setup -- [options]`: the admin's set-up of Release Gate in a tenant. Signs the admin in
 * with the device-code flow (a Printer Administrator, through Release Gate's own app registration,
 * as Graph requires for task triggers), gets the task definition from the Function App (created with
 * the app's identity), and puts Release Gate's trigger on the chosen printers, or takes it off
 * (--teardown). Every trigger it creates is recorded in the app's storage (through the app): only a
 * recorded trigger is Release Gate's; any other is reported, never removed. Idempotent; --dry-run shows
 * what it would change. Settings come from flags or the environment (azd writes them to .azure/<env>/.env).
 *
 *   --tenant <id>               RELEASE_GATE_TENANT_ID
 *   --client-id <id>            RELEASE_GATE_APP_CLIENT_ID
 *   --admin-client-id <id>      RELEASE_GATE_ADMIN_APP_CLIENT_ID (the admin-tools app registration the admin signs in
 *                               through; default: the --client-id, for deployments made before the split)
 *   --function-url <url>        RELEASE_GATE_FUNCTION_APP_URL   (https://<app>.azurewebsites.net)
 *   --function-key=<key>        RELEASE_GATE_FUNCTION_ADMIN_KEY (the app's master key; az functionapp keys list)
 *   --task-definition-id <id>   RELEASE_GATE_TASK_DEFINITION_ID (skip asking the app for it; the app is still needed
 *                               for the trigger record and pull queues' printer attributes)
 *   --printers all|<name,…>     printers to put the trigger on (default all, or none besides the pull queues
 *                               when --pull-queue or --adopt is given; * wildcards)
 *   --pull-queue <name>         register (or find) a virtual pull-queue printer, set its printer attributes (needs
 *                               RELEASE_GATE_ALLOW_PULL_QUEUE_SETUP), share it, put the trigger on it (repeatable)
 *   --adopt <printer id>        use an existing printer as a pull queue: share it if needed, put the trigger on it (repeatable)
 *   --share-with-all-users      a new share lets every user print (the default);
 *   --no-share-with-all-users   or nobody yet (grant users in the Universal Print portal). Also --share-with all|none
 *   --claim-trigger <printer id> record the trigger on that printer as Release Gate's (one made before set-up kept
 *                               its record; only on your word: Graph cannot say whose a trigger is) (repeatable)
 *   --teardown                  remove Release Gate's (recorded) triggers from every printer
 *   --dry-run                   show the plan, change nothing
 *   --cloud global|usgov|usgovdod, --authority-host <url>, --graph-base-url <url>
 */
import { parseArgs } from 'node:util';
import { CLOUDS } from '../src/graph/graph-endpoints';
import { adminPrintApi } from '../admin/setup/admin-sign-in';
import type { PrintApi } from '../src/graph/print-api';
import { ensurePullQueue, type PullQueueOptions } from '../admin/setup/pull-queue';
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
import { adminToolArgs } from '../admin/setup/admin-tool-args';

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
}

export function parseSetupArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): SetupOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...adminToolArgs(env),
      'pull-queue': { type: 'string', multiple: true, default: [] },
      adopt: { type: 'string', multiple: true, default: [] },
      'claim-trigger': { type: 'string', multiple: true, default: [] },
      'share-with-all-users': { type: 'boolean' },
      'share-with': { type: 'string' },
      teardown: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
    allowNegative: true,
  });
  const missing = [!values.tenant && '--tenant', !values['client-id'] && '--client-id'].filter(Boolean);
  if (missing.length)
    throw new Error(`Missing ${missing.join(' and ')} (or RELEASE_GATE_TENANT_ID / RELEASE_GATE_APP_CLIENT_ID)`);
  if (values.cloud === 'china')
    throw new Error(
      '--cloud china: Microsoft Graph offers no Universal Print APIs in 21Vianet, so Release Gate cannot run there',
    );
  if (!(values.cloud! in CLOUDS)) throw new Error(`--cloud must be one of ${Object.keys(CLOUDS).join(', ')}`);
  const shareWith = values['share-with'];
  if (shareWith !== undefined && shareWith !== 'all' && shareWith !== 'none')
    throw new Error('--share-with must be all or none');
  const shareWithAllUsers = values['share-with-all-users'] ?? (shareWith ?? 'all') === 'all';
  if (shareWith !== undefined && shareWithAllUsers !== (shareWith === 'all'))
    throw new Error('--share-with and --[no-]share-with-all-users say different things: give one');
  const pullQueues = values['pull-queue']!.length + values.adopt!.length > 0;
  if (values.teardown && pullQueues) throw new Error('--teardown cannot be combined with --pull-queue or --adopt');
  if (!values['function-url']) {
    throw new Error(
      'Give --function-url (or RELEASE_GATE_FUNCTION_APP_URL): the deployed app creates the task definition and keeps ' +
        "the record of Release Gate's task triggers",
    );
  }
  return {
    tenant: values.tenant!,
    clientId: values['client-id']!,
    adminClientId: values['admin-client-id'] ?? values['client-id']!,
    functionUrl: values['function-url']!,
    functionKey: values['function-key'],
    taskDefinitionId: values['task-definition-id'],
    // Adding a pull queue (or claiming a trigger) changes no other printer unless the admin names them.
    printers: values.printers ?? (pullQueues || values['claim-trigger']!.length > 0 ? '' : 'all'),
    pullQueues: values['pull-queue']!,
    adopt: values.adopt!,
    claimTriggers: values['claim-trigger']!,
    shareWithAllUsers,
    teardown: values.teardown!,
    dryRun: values['dry-run']!,
    cloud: values.cloud as keyof typeof CLOUDS,
    authorityHost: values['authority-host'],
    graphBaseUrl: values['graph-base-url'],
  };
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
): Promise<{ changes: number; conflicts: number; taskDefinitionId?: string }> {
  const graphBase = (options.graphBaseUrl ?? CLOUDS[options.cloud].graph).replace(/\/+$/, '');
  // Signed in through the admin-tools app registration: delegated permissions only (graph-app.bicep).
  const admin = adminPrintApi({ ...options, clientId: options.adminClientId }, out);
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
  });

  let pending: TriggerChange[] = [];
  let forgotten = 0;
  let conflicts = queues.conflicts;
  const names =
    options.printers.toLowerCase() === 'all' ? undefined : options.printers.split(',').filter((n) => n.trim());
  if (options.teardown || !names || names.length > 0) {
    let ownership: TriggerOwnership;
    try {
      ownership = await listTriggerOwnership(admin, app.triggerRecord);
    } catch (error) {
      throw new Error(setupHint(error));
    }
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
  context: Pick<PullQueueOptions, 'definition' | 'printerUrl'> & { out: (line: string) => void },
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
      });
      changes += Object.values(result.created).filter(Boolean).length;
      if (result.trigger?.state === 'conflict') conflicts++;
    } catch (error) {
      throw new Error(setupHint(error));
    }
  }
  return { changes, conflicts };
}

if (require.main === module) {
  (async () => {
    const result = await runSetup(parseSetupArgs(process.argv.slice(2)));
    process.exit(result.conflicts > 0 ? 3 : 0);
  })().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

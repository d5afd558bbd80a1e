/**
 * `npm run setup -- [options]`: the admin's set-up of Release Gate in a tenant. Signs the admin in
 * with the device-code flow (a Printer Administrator, through Release Gate's own app registration,
 * as Graph requires for task triggers), gets the task definition from the Function App (created with
 * the app's identity), and puts Release Gate's trigger on the chosen printers, or takes it off
 * (--teardown). Idempotent; --dry-run shows what it would change. Settings come from flags or the
 * environment (azd writes them to .azure/<env>/.env).
 *
 *   --tenant <id>               RELEASE_GATE_TENANT_ID
 *   --client-id <id>            RELEASE_GATE_APP_CLIENT_ID
 *   --function-url <url>        RELEASE_GATE_FUNCTION_APP_URL   (https://<app>.azurewebsites.net)
 *   --function-key <key>        RELEASE_GATE_FUNCTION_ADMIN_KEY (the app's master key; az functionapp keys list)
 *   --task-definition-id <id>   RELEASE_GATE_TASK_DEFINITION_ID (skip asking the app)
 *   --printers all|<name,…>     printers to put the trigger on (default all; * wildcards)
 *   --pull-queue <name>         register (or find) a virtual pull-queue printer, share it, put the trigger on it (repeatable)
 *   --adopt <printer id>        use an existing printer as a pull queue: share it if needed, put the trigger on it (repeatable)
 *   --share-with all|none       who may print to a new share: all users (default) or none yet (grant in the portal)
 *   --teardown                  remove Release Gate's triggers from every printer
 *   --dry-run                   show the plan, change nothing
 *   --cloud global|usgov|usgovdod|china, --authority-host <url>, --graph-base-url <url>
 */
import { parseArgs } from 'node:util';
import { CLOUDS } from '../src/graph/graph-endpoints';
import { adminPrintApi } from '../src/setup/admin-sign-in';
import { ensurePullQueue } from '../src/setup/pull-queue';
import {
  applyTriggerPlan,
  planTriggers,
  printerTriggerStates,
  setupHint,
  type PrinterTriggerState,
} from '../src/setup/printer-triggers';

export interface SetupOptions {
  tenant: string;
  clientId: string;
  functionUrl?: string;
  functionKey?: string;
  taskDefinitionId?: string;
  printers: string;
  pullQueues: string[];
  adopt: string[];
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
      tenant: { type: 'string', default: env.RELEASE_GATE_TENANT_ID },
      'client-id': { type: 'string', default: env.RELEASE_GATE_APP_CLIENT_ID },
      'function-url': { type: 'string', default: env.RELEASE_GATE_FUNCTION_APP_URL },
      'function-key': { type: 'string', default: env.RELEASE_GATE_FUNCTION_ADMIN_KEY },
      'task-definition-id': { type: 'string', default: env.RELEASE_GATE_TASK_DEFINITION_ID || undefined },
      printers: { type: 'string', default: 'all' },
      'pull-queue': { type: 'string', multiple: true, default: [] },
      adopt: { type: 'string', multiple: true, default: [] },
      'share-with': { type: 'string', default: 'all' },
      teardown: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      cloud: { type: 'string', default: env.RELEASE_GATE_CLOUD ?? 'global' },
      'authority-host': { type: 'string', default: env.RELEASE_GATE_AUTHORITY_HOST },
      'graph-base-url': { type: 'string', default: env.RELEASE_GATE_GRAPH_BASE_URL },
    },
  });
  const missing = [!values.tenant && '--tenant', !values['client-id'] && '--client-id'].filter(Boolean);
  if (missing.length)
    throw new Error(`Missing ${missing.join(' and ')} (or RELEASE_GATE_TENANT_ID / RELEASE_GATE_APP_CLIENT_ID)`);
  if (!(values.cloud! in CLOUDS)) throw new Error(`--cloud must be one of ${Object.keys(CLOUDS).join(', ')}`);
  if (values['share-with'] !== 'all' && values['share-with'] !== 'none')
    throw new Error('--share-with must be all or none');
  if (values.teardown && (values['pull-queue']!.length || values.adopt!.length))
    throw new Error('--teardown cannot be combined with --pull-queue or --adopt');
  if (!values['task-definition-id'] && !values['function-url']) {
    throw new Error('Give --function-url (the deployed app creates the task definition) or --task-definition-id');
  }
  return {
    tenant: values.tenant!,
    clientId: values['client-id']!,
    functionUrl: values['function-url'],
    functionKey: values['function-key'],
    taskDefinitionId: values['task-definition-id'],
    printers: values.printers!,
    pullQueues: values['pull-queue']!,
    adopt: values.adopt!,
    shareWithAllUsers: values['share-with'] === 'all',
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

/** Asks the deployed app for its task definition (it creates it with the app's identity if missing). */
async function taskDefinitionFromApp(options: SetupOptions): Promise<{ id: string; created: boolean }> {
  const url = `${options.functionUrl!.replace(/\/+$/, '')}/api/setup/task-definition`;
  const response = await fetch(url, {
    method: 'POST',
    headers: options.functionKey ? { 'x-functions-key': options.functionKey } : {},
    signal: AbortSignal.timeout(60_000),
  });
  if (response.status === 401 || response.status === 403)
    throw new Error(`${url} refused the key: pass the app's master key with --function-key`);
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { id: string; created: boolean };
}

export async function runSetup(
  options: SetupOptions,
  out: (line: string) => void = console.log,
): Promise<{ changes: number; conflicts: number; taskDefinitionId?: string }> {
  const graphBase = (options.graphBaseUrl ?? CLOUDS[options.cloud].graph).replace(/\/+$/, '');
  const admin = adminPrintApi(options, out);

  let taskDefinitionId = options.taskDefinitionId;
  if (!taskDefinitionId) {
    if (options.dryRun) {
      out('Would ask the app to find or create the task definition.');
    } else {
      const definition = await taskDefinitionFromApp(options);
      taskDefinitionId = definition.id;
      out(`${definition.created ? 'Created' : 'Found'} the task definition ${definition.id}.`);
    }
  }

  const definitionUrl = `${graphBase}/v1.0/print/taskDefinitions/${taskDefinitionId}`;
  let pullQueueChanges = 0;
  const pullQueues = [
    ...options.pullQueues.map((displayName) => ({ displayName })),
    ...options.adopt.map((adoptPrinterId) => ({ adoptPrinterId })),
  ];
  for (const queue of pullQueues) {
    out('');
    try {
      const result = await ensurePullQueue(admin, {
        ...queue,
        definition: { id: taskDefinitionId ?? '(not yet created)', url: definitionUrl },
        printerUrl: (id) => `${graphBase}/v1.0/print/printers/${id}`,
        allowAllUsers: options.shareWithAllUsers,
        dryRun: options.dryRun,
        log: out,
      });
      pullQueueChanges += Object.values(result.created).filter(Boolean).length;
    } catch (error) {
      throw new Error(setupHint(error));
    }
  }

  let states: PrinterTriggerState[];
  try {
    states = await printerTriggerStates(admin, taskDefinitionId ?? '(not yet created)');
  } catch (error) {
    throw new Error(setupHint(error));
  }
  const names = options.printers.toLowerCase() === 'all' ? undefined : options.printers.split(',').map(wildcard);
  const plan = planTriggers(states, (s) => !names || names.some((n) => n.test(s.displayName)), options.teardown);
  out('');
  out('Printer                                   Trigger now   Change');
  for (const step of plan) {
    const state = states.find((s) => s.printerId === step.printerId)!;
    out(
      `${step.displayName.padEnd(40)}  ${state.trigger.padEnd(12)}  ${step.change}${step.change === 'conflict' ? `: ${step.detail}` : ''}`,
    );
  }
  const conflicts = plan.filter((p) => p.change === 'conflict').length;
  const pending = plan.filter((p) => p.change === 'create' || p.change === 'remove');
  if (options.dryRun) {
    out(`\nDry run: ${pending.length} change(s) would be made, ${conflicts} conflict(s).`);
    return { changes: 0, conflicts, taskDefinitionId };
  }
  try {
    for (const line of await applyTriggerPlan(admin, pending, states, definitionUrl)) out(line);
  } catch (error) {
    throw new Error(setupHint(error));
  }
  out(`\n${pending.length + pullQueueChanges} change(s), ${conflicts} conflict(s).`);
  if (!options.teardown && taskDefinitionId && !options.taskDefinitionId) {
    out(`Next: azd env set RELEASE_GATE_TASK_DEFINITION_ID ${taskDefinitionId} && azd provision`);
    out('Then the maintain-subscription function subscribes Graph to the webhook (within 30 minutes, or run it now).');
  }
  return { changes: pending.length + pullQueueChanges, conflicts, taskDefinitionId };
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

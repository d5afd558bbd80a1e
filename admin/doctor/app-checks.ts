import type { AppView } from '../../src/setup/doctor-app-view';
import { probeValidation } from './endpoint-probe';
import { fail, ok, redactKeys, warn, type DoctorCheck } from './report';

const RUN_KEEPER =
  'run maintain-subscription now (Azure portal → Function App → Functions → maintain-subscription → Test/Run), or wait up to 30 minutes';
const SET_DEFINITION = (id: string) => `azd env set RELEASE_GATE_TASK_DEFINITION_ID ${id} && azd provision`;

/** How to give the doctor the master key the app's `/api/setup/*` routes (authLevel admin) require. */
export const MASTER_KEY_FIX =
  'pass the master key: --function-key="$(az functionapp keys list -g $AZURE_RESOURCE_GROUP -n $RELEASE_GATE_FUNCTION_APP_NAME --query masterKey -o tsv)" (or export RELEASE_GATE_FUNCTION_ADMIN_KEY)';

/**
 * Asks the Function App for its own view (`POST /api/setup/doctor`, the master key). `keyRefused`: the host
 * refused the key (none given, or not the master key), so nothing behind `/api/setup/*` can be read either.
 */
export async function fetchAppView(
  functionUrl: string,
  functionKey: string | undefined,
  fetchImpl: typeof fetch = fetch,
): Promise<{ view?: AppView; check: DoctorCheck; keyRefused?: boolean }> {
  const url = `${functionUrl}/api/setup/doctor`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: functionKey ? { 'x-functions-key': functionKey } : {},
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      check: fail(
        'Function App',
        `${functionUrl} is unreachable (${cause ?? String(error)})`,
        'check RELEASE_GATE_FUNCTION_APP_URL; azd deploy if the app is not running',
      ),
    };
  }
  if (response.status === 401 || response.status === 403)
    return {
      keyRefused: true,
      check: fail(
        'Function App',
        `the Function App refused the key: ${url} answered ${response.status} (${functionKey ? 'the key given is not its master key' : 'no key given'})`,
        MASTER_KEY_FIX,
      ),
    };
  if (response.status === 404)
    return {
      check: fail('Function App', `${url} is not there (404): the deployed code predates the doctor`, 'azd deploy'),
    };
  const body = (await response.json().catch(() => undefined)) as
    (AppView & { error?: { message?: string } }) | undefined;
  if (!response.ok || !body || body.version !== 1)
    return {
      check: fail(
        'Function App',
        `${url} answered ${response.status}${body?.error?.message ? `: ${body.error.message}` : ''}`,
        'Application Insights → Failures (setup-doctor), and the Function App settings (Azure portal → Function App → Environment variables)',
      ),
    };
  return { view: body, check: ok('Function App', `${functionUrl} answers as app ${body.appId}`) };
}

export function taskDefinitionChecks(view: AppView, azdDefinitionId: string | undefined): DoctorCheck[] {
  const name = 'Task definition';
  if (view.errors.definitions)
    return [
      fail(
        name,
        `the app cannot list task definitions: ${view.errors.definitions}`,
        'grant PrintTaskDefinition.ReadWrite.All (see Application permissions)',
      ),
    ];
  const definitions = view.definitions ?? [];
  const ours = definitions.filter((d) => d.createdByAppId?.toLowerCase() === view.appId.toLowerCase());
  if (!view.taskDefinitionId) {
    const candidate = ours[0]?.id ?? azdDefinitionId;
    return [
      fail(
        name,
        'RELEASE_GATE_TASK_DEFINITION_ID is not set on the Function App: notifications are discarded and no subscription is made',
        candidate
          ? SET_DEFINITION(candidate)
          : 'npm run setup (creates it and prints the id), then azd env set RELEASE_GATE_TASK_DEFINITION_ID <id> && azd provision',
      ),
    ];
  }
  const definition = definitions.find((d) => d.id.toLowerCase() === view.taskDefinitionId!.toLowerCase());
  if (!definition)
    return [
      fail(
        name,
        `${view.taskDefinitionId} does not exist in this tenant`,
        ours[0]
          ? SET_DEFINITION(ours[0].id)
          : 'npm run setup (creates one), then set its id with azd env set RELEASE_GATE_TASK_DEFINITION_ID <id> && azd provision',
      ),
    ];
  if (definition.createdByAppId?.toLowerCase() !== view.appId.toLowerCase())
    return [
      fail(
        name,
        `${definition.id} was created by app ${definition.createdByAppId ?? '(unknown)'}, not by ours (${view.appId}): Graph lets only its creator act on its tasks`,
        ours[0]
          ? SET_DEFINITION(ours[0].id)
          : 'npm run setup (creates ours), then set its id with azd env set RELEASE_GATE_TASK_DEFINITION_ID <id> && azd provision',
      ),
    ];
  const checks = [ok(name, `${definition.id} "${definition.displayName ?? ''}", created by our app`)];
  if (azdDefinitionId && azdDefinitionId.toLowerCase() !== definition.id.toLowerCase())
    checks.push(
      warn(
        'Task definition (azd)',
        `azd env has ${azdDefinitionId}, the Function App ${definition.id}`,
        SET_DEFINITION(definition.id),
      ),
    );
  return checks;
}

const resourceOf = (definitionId: string) => `print/taskdefinitions/${definitionId.toLowerCase()}/tasks`;

function timeLeft(ms: number): string {
  const hours = Math.floor(Math.abs(ms) / 3_600_000);
  const minutes = Math.floor((Math.abs(ms) % 3_600_000) / 60_000);
  return hours >= 24 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : `${hours} h ${minutes} min`;
}

/** The app's subscription for our definition is alive, and both its URLs answer Graph's handshake with their key. */
export async function subscriptionChecks(
  view: AppView,
  now: Date,
  fetchImpl: typeof fetch = fetch,
): Promise<DoctorCheck[]> {
  const name = 'Graph subscription';
  if (view.errors.subscriptions)
    return [
      fail(
        name,
        `the app cannot list its subscriptions: ${view.errors.subscriptions}`,
        'grant PrintTaskDefinition.ReadWrite.All (see Application permissions)',
      ),
    ];
  if (!view.taskDefinitionId)
    return [fail(name, 'not checked: no task definition is set', 'set the task definition first (above)')];
  const ours = (view.subscriptions ?? []).filter(
    (s) => s.resource.replace(/^\//, '').toLowerCase() === resourceOf(view.taskDefinitionId!),
  );
  if (ours.length === 0)
    return [
      fail(
        name,
        `none for print/taskDefinitions/${view.taskDefinitionId}/tasks: Graph sends no notifications (the reconciler still finds tasks, minutes late)`,
        `${RUN_KEEPER}; it needs RELEASE_GATE_NOTIFICATION_URL, and logs subscription.checked`,
      ),
    ];
  const subscription = [...ours].sort((a, b) => b.expirationDateTime.localeCompare(a.expirationDateTime))[0]!;
  const left = Date.parse(subscription.expirationDateTime) - now.getTime();
  const about = `${subscription.id} on ${subscription.resource}`;
  const checks: DoctorCheck[] = [];
  if (left <= 0) checks.push(fail(name, `${about} expired ${timeLeft(left)} ago`, RUN_KEEPER));
  else if (left < 12 * 3_600_000)
    checks.push(
      warn(
        name,
        `${about} expires in ${timeLeft(left)} (${subscription.expirationDateTime})`,
        `${RUN_KEEPER}; the keeper renews under a day left, so a short time means it is failing: check subscription.checked logs`,
      ),
    );
  else checks.push(ok(name, `${about}, expires in ${timeLeft(left)} (${subscription.expirationDateTime})`));
  if (ours.length > 1)
    checks.push(
      warn(
        'Graph subscriptions',
        `${ours.length} subscriptions for our definition; one is enough`,
        `${RUN_KEEPER} (it removes the strays)`,
      ),
    );

  const urls: [string, string | undefined][] = [
    ['Notification URL', subscription.notificationUrl],
    ['Lifecycle URL', subscription.lifecycleNotificationUrl],
  ];
  for (const [label, url] of urls) {
    if (!url) {
      checks.push(
        warn(
          label,
          'the subscription has none: reauthorization events are not received',
          `set RELEASE_GATE_LIFECYCLE_URL (Bicep sets it), then ${RUN_KEEPER}`,
        ),
      );
      continue;
    }
    const probe = await probeValidation(url, fetchImpl);
    const shown = redactKeys(url);
    const keyed = /[?&]code=/.test(url) ? 'with its key' : 'without a key';
    if (probe.ok) checks.push(ok(label, `${shown} ${probe.detail}, ${keyed}`));
    else
      checks.push(
        fail(
          label,
          `${shown}: ${probe.detail}`,
          probe.status === 401 || probe.status === 403
            ? `the key must be the Function App's host key graph-notifications, which is the Key Vault secret notification-function-key: azd provision (writes the secret's value as the host key), then ${RUN_KEEPER} (it replaces the subscription when the key changed)`
            : 'check that the Function App is running and the URL is its public address (RELEASE_GATE_NOTIFICATION_URL / RELEASE_GATE_LIFECYCLE_URL)',
        ),
      );
  }
  return checks;
}

const ago = (iso: string, now: Date) => {
  const ms = now.getTime() - Date.parse(iso);
  return ms < 60_000 ? 'under a minute ago' : `${timeLeft(ms)} ago`;
};

/** When a task last came in and was last decided, and what waits in the poison queue. */
export function activityChecks(view: AppView, now: Date): DoctorCheck[] {
  if (view.errors.storage)
    return [
      fail(
        'Storage',
        `the app cannot read its storage: ${view.errors.storage}`,
        "check the Function App identity's roles on the storage account (Storage Queue Data Contributor, Storage Table Data Contributor): azd provision",
      ),
    ];
  const checks: DoctorCheck[] = [];
  const activity = view.activity;
  if (!activity?.lastNotificationAt && !activity?.lastDecisionAt) {
    checks.push(
      warn(
        'Last activity',
        `no print task recorded in the last ${activity?.daysSearched ?? 0} day(s)`,
        'print a test page to a printer with the trigger and run the doctor again; if still nothing, look for notification.rejected in Application Insights',
      ),
    );
  } else {
    const detail = `last notification ${activity.lastNotificationAt ? `${activity.lastNotificationAt} (${ago(activity.lastNotificationAt, now)})` : 'none'}, last decision ${activity.lastDecisionAt ? `${activity.lastDecisionAt} (${ago(activity.lastDecisionAt, now)})` : 'none'}`;
    const lag =
      activity.lastNotificationAt &&
      (!activity.lastDecisionAt ||
        Date.parse(activity.lastNotificationAt) - Date.parse(activity.lastDecisionAt) > 10 * 60_000);
    checks.push(
      lag
        ? warn(
            'Last activity',
            `${detail}: tasks arrive but are not decided`,
            'look for task.failed-permanently and policy.failed in Application Insights; check the process-task function',
          )
        : ok('Last activity', detail),
    );
  }
  for (const queue of view.queues ?? []) {
    if (!queue.name.endsWith('-poison')) continue;
    const waiting = view.queues?.find((q) => `${q.name}-poison` === queue.name)?.approximateMessages ?? 0;
    checks.push(
      queue.approximateMessages > 0
        ? warn(
            'Poison queue',
            `${queue.approximateMessages} message(s) in ${queue.name} (${waiting} waiting in the task queue)`,
            'process-task-poison applies the fail-safe to them; if they stay, look for task.poisoned and its errors in Application Insights',
          )
        : ok('Poison queue', `${queue.name} empty (${waiting} waiting in the task queue)`),
    );
  }
  const parked = view.parkedMessages;
  if (parked)
    checks.push(
      parked.approximateMessages > 0
        ? warn(
            'Parked messages',
            `${parked.approximateMessages} user message(s) in ${parked.name}: not sent after every try`,
            'look for message.sender-refused and message.send-failed in Application Insights (the sender mailbox outside ' +
              "the app's Exchange scope, Graph down); once fixed, move them back to the message queue to send them (Azure " +
              'Storage Explorer), or clear the poison queue',
          )
        : ok('Parked messages', `${parked.name} empty`),
    );
  return checks;
}

/** With quotas, every decision reads and writes the quota table: the app must be able to use it. */
export function quotaChecks(view: AppView): DoctorCheck[] {
  if (!view.quotas) return [];
  const { declared, table } = view.quotas;
  const names = `${declared.length} quota(s): ${declared.join(', ')}`;
  if (view.errors.quotas)
    return [
      fail(
        'Quota usage',
        `the policy declares ${names}, but the app cannot use its quota table ${table}: ${view.errors.quotas}`,
        "check RELEASE_GATE_QUOTA_TABLE and the Function App identity's Storage Table Data Contributor role: azd provision",
      ),
    ];
  return [ok('Quota usage', `the policy declares ${names}; the quota table ${table} is reachable`)];
}

import { odata, type TableClient } from '@azure/data-tables';
import type { QueueServiceClient } from '@azure/storage-queue';
import { classifyGraphError } from '../graph/graph-errors';
import type { PrintApi } from '../graph/print-api';
import { errorText } from '../observability/log';

/**
 * What only the app itself can see, gathered inside the Function App for `npm run doctor`: the task
 * definitions (application permission only), the app's own Graph subscriptions (Graph lists only the
 * caller's), and its storage (the app's identity has the data roles; the admin usually has none).
 */
export interface AppView {
  version: 1;
  appId: string;
  /** The app's RELEASE_GATE_TASK_DEFINITION_ID. */
  taskDefinitionId?: string;
  definitions?: { id: string; displayName?: string; createdByAppId?: string }[];
  /** The app's subscriptions; their URLs carry the function key, so only the admin-key caller sees them. */
  subscriptions?: {
    id: string;
    resource: string;
    expirationDateTime: string;
    notificationUrl: string;
    lifecycleNotificationUrl?: string;
  }[];
  activity?: { lastNotificationAt?: string; lastDecisionAt?: string; daysSearched: number };
  queues?: { name: string; approximateMessages: number }[];
  /** With messages on: the user messages parked after their last try (RELEASE_GATE_MESSAGE_QUEUE-poison). */
  parkedMessages?: { name: string; approximateMessages: number };
  /** The quotas the policy declares and the table their usage is kept in (absent: no quotas). */
  quotas?: { declared: string[]; table: string };
  /** Why a part could not be read (Graph's or storage's message; never a secret). */
  errors: { definitions?: string; subscriptions?: string; storage?: string; quotas?: string };
}

export interface AppViewDependencies {
  appId: string;
  taskDefinitionId?: string;
  api: PrintApi;
  auditTable: TableClient;
  queueService: QueueServiceClient;
  /** The task queue; its `-poison` queue is read too. */
  taskQueue: string;
  /** With messages on, the message queue: only its `-poison` queue (messages no try could send) is read. */
  messageQueue?: string;
  now: Date;
  /** How many days of audit partitions to look back for the last activity. */
  lookBackDays?: number;
  /** The policy's quotas, if it declares any, and a probe of the quota table (throws if unusable). */
  quotas?: { declared: string[]; table: string; probe(): Promise<void> };
}

export async function collectAppView(deps: AppViewDependencies): Promise<AppView> {
  const view: AppView = { version: 1, appId: deps.appId, taskDefinitionId: deps.taskDefinitionId, errors: {} };
  const [definitions, subscriptions, storage] = await Promise.allSettled([
    deps.api.listTaskDefinitions(),
    deps.api.listSubscriptions(),
    Promise.all([lastActivity(deps), queueDepths(deps)]),
  ]);
  if (definitions.status === 'fulfilled') {
    view.definitions = definitions.value.map((d) => ({
      id: d.id,
      ...(d.displayName ? { displayName: d.displayName } : {}),
      ...(d.createdBy?.appId ? { createdByAppId: d.createdBy.appId } : {}),
    }));
  } else view.errors.definitions = graphMessage(definitions.reason);
  if (subscriptions.status === 'fulfilled') {
    view.subscriptions = subscriptions.value.map((s) => ({
      id: s.id,
      resource: s.resource,
      expirationDateTime: s.expirationDateTime,
      notificationUrl: s.notificationUrl,
      ...(s.lifecycleNotificationUrl ? { lifecycleNotificationUrl: s.lifecycleNotificationUrl } : {}),
    }));
  } else view.errors.subscriptions = graphMessage(subscriptions.reason);
  if (storage.status === 'fulfilled') {
    [view.activity, view.queues] = storage.value;
    const parked = deps.messageQueue && view.queues.find((q) => q.name === `${deps.messageQueue}-poison`);
    if (parked) {
      view.parkedMessages = parked;
      view.queues = view.queues.filter((q) => q !== parked);
    }
  } else view.errors.storage = errorText(storage.reason);
  if (deps.quotas) {
    view.quotas = { declared: deps.quotas.declared, table: deps.quotas.table };
    await deps.quotas.probe().catch((error: unknown) => (view.errors.quotas = errorText(error)));
  }
  return view;
}

function graphMessage(error: unknown): string {
  const failure = classifyGraphError(error);
  return `${failure.kind}${failure.status ? ` (${failure.status})` : ''}: ${failure.message}`;
}

/** The newest audit record: partitions are days (of the notification), so look back day by day. */
async function lastActivity(deps: AppViewDependencies): Promise<NonNullable<AppView['activity']>> {
  const days = deps.lookBackDays ?? 14;
  for (let back = 0; back < days; back++) {
    const day = new Date(deps.now.getTime() - back * 86_400_000).toISOString().slice(0, 10);
    let lastNotificationAt: string | undefined;
    let lastDecisionAt: string | undefined;
    try {
      for await (const entity of deps.auditTable.listEntities<{ decidedAt?: string; record?: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${day}`, select: ['decidedAt', 'record'] },
      })) {
        const receivedAt = receivedAtOf(entity.record);
        if (receivedAt && (!lastNotificationAt || receivedAt > lastNotificationAt)) lastNotificationAt = receivedAt;
        if (entity.decidedAt && (!lastDecisionAt || entity.decidedAt > lastDecisionAt))
          lastDecisionAt = entity.decidedAt;
      }
    } catch (error) {
      // No table yet: nothing was ever decided.
      if ((error as { statusCode?: number }).statusCode === 404) return { daysSearched: days };
      throw error;
    }
    if (lastNotificationAt || lastDecisionAt) return { lastNotificationAt, lastDecisionAt, daysSearched: back + 1 };
  }
  return { daysSearched: days };
}

function receivedAtOf(record: string | undefined): string | undefined {
  if (!record) return undefined;
  try {
    const value = (JSON.parse(record) as { receivedAt?: unknown }).receivedAt;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

async function queueDepths(deps: AppViewDependencies): Promise<NonNullable<AppView['queues']>> {
  const names = [
    deps.taskQueue,
    `${deps.taskQueue}-poison`,
    ...(deps.messageQueue ? [`${deps.messageQueue}-poison`] : []),
  ];
  return Promise.all(
    names.map(async (name) => {
      try {
        const properties = await deps.queueService.getQueueClient(name).getProperties();
        return { name, approximateMessages: properties.approximateMessagesCount ?? 0 };
      } catch (error) {
        // The host makes the poison queue on the first poisoned message: none yet is none waiting.
        if ((error as { statusCode?: number }).statusCode === 404) return { name, approximateMessages: 0 };
        throw error;
      }
    }),
  );
}

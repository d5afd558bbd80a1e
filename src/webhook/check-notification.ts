import type { Settings } from '../config/settings';
import { parseJobUrl, parseTaskResource, type JobRef, type TaskRef } from '../graph/ids';
import { isAcceptedClientState } from '../secrets/client-state';
import type { ChangeNotification } from './notification-schema';

/** Why a notification was discarded; logged and counted, never told to the sender. */
export type RejectionReason =
  'client-state' | 'tenant' | 'lifecycle-event' | 'change-type' | 'resource' | 'task-definition';

export type CheckResult =
  | { accepted: true; task: TaskRef; job?: JobRef; parentUrlIgnored: boolean }
  | { accepted: false; reason: RejectionReason };

/**
 * Decides whether one notification is a genuine "printTask created" for our task definition.
 * The clientState is checked first: nothing else about a notification is trusted without it.
 */
export function checkNotification(
  notification: ChangeNotification,
  settings: Settings,
  clientStates: readonly string[],
): CheckResult {
  const reject = (reason: RejectionReason): CheckResult => ({ accepted: false, reason });

  if (!isAcceptedClientState(notification.clientState, clientStates)) return reject('client-state');
  if (notification.tenantId.toLowerCase() !== settings.RELEASE_GATE_TENANT_ID.toLowerCase()) return reject('tenant');
  if (notification.lifecycleEvent !== undefined) return reject('lifecycle-event');
  if (notification.changeType !== 'created') return reject('change-type');

  const task = notification.resource ? parseTaskResource(notification.resource) : undefined;
  if (!task) return reject('resource');
  if (task.taskDefinitionId.toLowerCase() !== settings.RELEASE_GATE_TASK_DEFINITION_ID?.toLowerCase()) {
    return reject('task-definition');
  }
  if (notification.resourceData?.id !== undefined && notification.resourceData.id !== task.taskId) {
    return reject('resource');
  }

  // parentUrl saves the processor a Graph call; if it is missing or unexpected, the processor reads the task.
  const parentUrl = notification.resourceData?.parentUrl;
  const job = parentUrl ? parseJobUrl(parentUrl) : undefined;
  return { accepted: true, task, job, parentUrlIgnored: parentUrl !== undefined && job === undefined };
}

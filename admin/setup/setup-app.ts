import type { AttributesOutcome } from '../../src/setup/pull-queue-attributes';
import { appAdminCall } from '../../src/setup/app-admin-call';
import { appTriggerRecord, type TriggerRecord } from '../../src/setup/trigger-record';

/**
 * The deployed app's set-up endpoints (admin key), for the set-up CLI and the doctor. The app does what only
 * its own identity may do (the task definition, pull queues' printer attributes: application permissions) and
 * keeps the record of our task triggers in its storage.
 */
export interface SetupApp {
  taskDefinition(): Promise<{ id: string; created: boolean }>;
  pullQueueAttributes(printerId: string, dryRun: boolean): Promise<AttributesOutcome>;
  triggerRecord: TriggerRecord;
}

export function setupApp(functionUrl: string, functionKey?: string): SetupApp {
  const call = appAdminCall(functionUrl, functionKey);
  const post = async (path: string, body?: unknown) => {
    const response = await call('POST', path, body);
    if (response.status === 502) throw new Error(((await response.json()) as { error: string }).error);
    if (!response.ok) throw new Error(`${response.url} answered ${response.status}: ${await response.text()}`);
    return response.json() as Promise<unknown>;
  };
  return {
    taskDefinition: async () => (await post('task-definition')) as { id: string; created: boolean },
    pullQueueAttributes: async (printerId, dryRun) =>
      (await post('pull-queue-attributes', { printerId, dryRun })) as AttributesOutcome,
    triggerRecord: appTriggerRecord(functionUrl, functionKey),
  };
}

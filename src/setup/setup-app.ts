import type { AttributesOutcome } from './pull-queue-attributes';
import { appTriggerRecord, type TriggerRecord } from './trigger-record';

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
  const base = `${functionUrl.replace(/\/+$/, '')}/api/setup`;
  const post = async (path: string, body?: unknown) => {
    const url = `${base}/${path}`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        ...(functionKey ? { 'x-functions-key': functionKey } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    if (response.status === 401 || response.status === 403)
      throw new Error(`${url} refused the key: pass the app's master key with --function-key`);
    if (response.status === 502) throw new Error(((await response.json()) as { error: string }).error);
    if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
    return response.json() as Promise<unknown>;
  };
  return {
    taskDefinition: async () => (await post('task-definition')) as { id: string; created: boolean },
    pullQueueAttributes: async (printerId, dryRun) =>
      (await post('pull-queue-attributes', { printerId, dryRun })) as AttributesOutcome,
    triggerRecord: appTriggerRecord(functionUrl, functionKey),
  };
}

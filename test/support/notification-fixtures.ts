import type { Sandbox } from '../../sandbox/sandbox';

/**
 * Notifications shaped like the Graph documentation's examples for Universal Print printTasks
 * (changeNotificationCollection with resourceData.parentUrl), with our test tenant's ids.
 */
export const TENANT_ID = '9a4c2f1e-7b3d-4e8a-b6c5-0d1e2f3a4b5c';
export const TASK_DEFINITION_ID = '3203656e-6069-4e10-8147-d25290b00a3c';
export const PRINTER_ID = '016b5565-3bbf-4067-b9ff-4d68167eb1a6';
export const SUBSCRIPTION_ID = '7f105c7d-2dc5-4530-97cd-4e7ae6534c07';
export const APP_CLIENT_ID = '5c1d8a2b-4e6f-4a7b-9c8d-1e2f3a4b5c6d';
export const CLIENT_STATE = 'secretClientState-4c5f8c1e0b';

export function taskNotification(taskId: string, jobId = '44353', overrides: Record<string, unknown> = {}) {
  const resource = `print/taskDefinitions/${TASK_DEFINITION_ID}/tasks/${taskId}`;
  return {
    id: `lsgTZMr9KwAAA-${taskId}`,
    subscriptionId: SUBSCRIPTION_ID,
    subscriptionExpirationDateTime: '2026-11-27T08:30:00.0000000-08:00',
    changeType: 'created',
    clientState: CLIENT_STATE,
    tenantId: TENANT_ID,
    resource,
    resourceData: {
      '@odata.type': '#Microsoft.Graph.printTask',
      '@odata.id': resource,
      '@odata.etag': 'W/"1"',
      id: taskId,
      parentUrl: `https://graph.microsoft.com/v1.0/print/printers/${PRINTER_ID}/jobs/${jobId}`,
    },
    ...overrides,
  };
}

export const collection = (...value: unknown[]) => ({ value });

/** Settings for a local run with secrets from settings and the given storage. */
export function testEnvironment(storage: string): Record<string, string> {
  return {
    RELEASE_GATE_TENANT_ID: TENANT_ID,
    RELEASE_GATE_TASK_DEFINITION_ID: TASK_DEFINITION_ID,
    RELEASE_GATE_SECRET_SOURCE: 'settings',
    RELEASE_GATE_CLIENT_STATE: CLIENT_STATE,
    RELEASE_GATE_APP_CLIENT_ID: APP_CLIENT_ID,
    RELEASE_GATE_APP_CREDENTIAL: 'secret',
    RELEASE_GATE_APP_SECRET: 'test-app-secret',
    AzureWebJobsStorage: storage,
  };
}

/**
 * Sends a task's notification to a running sandbox as Graph would: to the subscribed URL (with its key),
 * with the subscription's real clientState. `resourceData` may name any job (`parentUrl`). Returns the status.
 */
export async function deliverToSandbox(
  sandbox: Pick<Sandbox, 'taskDefinitionId' | 'simulator'>,
  taskId: string,
  resourceData: Record<string, unknown> = {},
): Promise<number> {
  const subscription = [...sandbox.simulator.tenant.subscriptions.values()][0]!;
  const response = await fetch(subscription.notificationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      value: [
        {
          subscriptionId: subscription.id,
          changeType: 'created',
          clientState: subscription.clientState,
          tenantId: sandbox.simulator.tenantId,
          resource: `print/taskDefinitions/${sandbox.taskDefinitionId}/tasks/${taskId}`,
          resourceData: { id: taskId, ...resourceData },
        },
      ],
    }),
  });
  await response.arrayBuffer();
  return response.status;
}

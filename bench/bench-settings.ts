/** The app settings and notification bodies the webhook benchmarks share (storage is added per run). */
const TENANT = '9a4c2f1e-7b3d-4e8a-b6c5-0d1e2f3a4b5c';
const DEFINITION = '3203656e-6069-4e10-8147-d25290b00a3c';
const PRINTER = '016b5565-3bbf-4067-b9ff-4d68167eb1a6';
export const BENCH_CLIENT_STATE = 'bench-client-state';

export const benchSettings: Record<string, string> = {
  RELEASE_GATE_TENANT_ID: TENANT,
  RELEASE_GATE_TASK_DEFINITION_ID: DEFINITION,
  RELEASE_GATE_APP_CLIENT_ID: '5c1d8a2b-4e6f-4a7b-9c8d-1e2f3a4b5c6d',
  RELEASE_GATE_SECRET_SOURCE: 'settings',
  RELEASE_GATE_CLIENT_STATE: BENCH_CLIENT_STATE,
  RELEASE_GATE_APP_CREDENTIAL: 'secret',
  RELEASE_GATE_APP_SECRET: 'unused',
};

/** A change-notification collection of `size` genuine "task created" notifications, ids from `start`. */
export function notificationBatch(size: number, start: number): string {
  const value = Array.from({ length: size }, (_, i) => {
    const taskId = `bench-${start + i}`;
    return {
      subscriptionId: '7f105c7d-2dc5-4530-97cd-4e7ae6534c07',
      changeType: 'created',
      clientState: BENCH_CLIENT_STATE,
      tenantId: TENANT,
      resource: `print/taskDefinitions/${DEFINITION}/tasks/${taskId}`,
      resourceData: {
        id: taskId,
        parentUrl: `https://graph.microsoft.com/v1.0/print/printers/${PRINTER}/jobs/${start + i}`,
      },
    };
  });
  return JSON.stringify({ value });
}

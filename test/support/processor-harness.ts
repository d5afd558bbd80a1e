import { randomUUID } from 'node:crypto';
import { createLog } from '../../src/observability/log';
import type { Decision, ReleasePolicy } from '../../src/policy/decision';
import type { PrintTaskMessage } from '../../src/queue/print-task-message';
import type { ProcessorApi, ProcessorDependencies } from '../../src/processor/task-run';
import { FakePrintApi, TASK_DEFINITION_ID, TENANT_ID } from './fake-print-api';
import { fakeAuditLog, fakeHoldStore, fakeTaskClaims, fakeTaskIndex, fakeTaskQueue } from './fake-stores';

/** The demo printers of the fake: two physical printers and a pull queue (a virtual printer). */
export const PRINTERS = {
  office: '5a0c0b60-0000-4000-8000-00000000f001',
  colour: '5a0c0b60-0000-4000-8000-00000000f002',
  pullQueue: '5a0c0b60-0000-4000-8000-00000000f003',
} as const;

/** A policy that always decides `decision` (or runs `decide`). */
export const always = (decision: Decision | (() => Promise<Decision>)): ReleasePolicy => ({
  name: 'test',
  decide: typeof decision === 'function' ? decision : async () => decision,
});

/**
 * The processor with a fake print API and in-memory stores: everything `processTask` needs, and
 * what it did (Graph calls, audit records, holds, task index, queue, log events).
 */
export function processorHarness(options: { policy?: ReleasePolicy; api?: FakePrintApi } = {}) {
  const api = options.api ?? new FakePrintApi();
  api.addPrinter({ id: PRINTERS.office, displayName: 'Office', hasPhysicalDevice: true });
  api.addPrinter({ id: PRINTERS.colour, displayName: 'Colour', hasPhysicalDevice: true });
  api.addPrinter({ id: PRINTERS.pullQueue, displayName: 'Pull queue', hasPhysicalDevice: false });
  const events: Record<string, unknown>[] = [];
  const push = (line: string) => void events.push(JSON.parse(line) as Record<string, unknown>);
  const deps = {
    api: api as ProcessorApi,
    policy: options.policy ?? always({ action: 'release', rule: 'ok' }),
    audit: fakeAuditLog(),
    holds: fakeHoldStore(),
    tasks: fakeTaskIndex(),
    claims: fakeTaskClaims(),
    queue: fakeTaskQueue(),
    log: createLog({ info: push, warn: push, error: push }),
    tenantId: TENANT_ID,
    failSafeAction: 'release' as 'release' | 'deny',
    maxRetryAfterSeconds: 5,
    maxDeferrals: undefined as number | undefined,
  } satisfies ProcessorDependencies<ProcessorApi>;
  return {
    api,
    deps,
    events,
    eventsNamed: (name: string) => events.filter((e) => e.event === name),
    /** A job on `printer` with our task processing, and the queue message its notification becomes. */
    print(printer: keyof typeof PRINTERS = 'office', jobOptions: Parameters<FakePrintApi['submitJob']>[1] = {}) {
      const { job, task } = api.submitJob(PRINTERS[printer], jobOptions);
      const message = (overrides: Partial<PrintTaskMessage> = {}): PrintTaskMessage => ({
        version: 1,
        taskDefinitionId: TASK_DEFINITION_ID,
        taskId: task.id,
        printerId: job.printerId,
        jobId: job.id,
        tenantId: TENANT_ID,
        receivedAt: new Date().toISOString(),
        correlationId: randomUUID(),
        source: 'notification',
        ...overrides,
      });
      return { job, task, message };
    },
  };
}

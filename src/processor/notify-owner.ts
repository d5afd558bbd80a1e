import type { AuditOutcome, AuditRecord } from '../audit/audit-log';
import type { PrintJob } from '../graph/print-schemas';
import type { HeldJob } from '../holds/hold-store';
import { describeError } from '../observability/log';
import type { TaskRun } from './task-run';

/**
 * Tells a job's owner it was denied or held (message kinds `denied`, `held`), once the action
 * succeeded and the audit record is written. Only when the admin turned the kind on; never throws,
 * so a message can neither delay nor change the decision (the outbox only queues it).
 */
export async function notifyOwner(
  run: TaskRun,
  record: AuditRecord,
  outcome: AuditOutcome,
  job: PrintJob,
): Promise<void> {
  const { messages } = run.deps;
  const kind = outcome === 'denied' ? 'denied' : outcome === 'held' ? 'held' : undefined;
  if (!messages || !kind || !messages.wants(kind)) return;
  try {
    const to = {
      ...(job.createdBy?.id ? { id: job.createdBy.id } : {}),
      ...(job.createdBy?.userPrincipalName ? { userPrincipalName: job.createdBy.userPrincipalName } : {}),
    };
    if (!to.id && !to.userPrincipalName) return;
    const documentName = job.documents?.[0]?.displayName ?? record.documentName;
    const common = {
      id: `${run.message.taskId}:${kind}`,
      to,
      ...(documentName ? { documentName: documentName.slice(0, 512) } : {}),
      ...(record.printerName ? { printerName: record.printerName.slice(0, 256) } : {}),
      correlationId: run.message.correlationId,
    };
    if (kind === 'denied') {
      const reason = record.decision.action === 'deny' ? record.decision.reason : undefined;
      await messages.post({ ...common, kind, ...(reason ? { reason: reason.slice(0, 500) } : {}) });
      return;
    }
    const hold: HeldJob | undefined = job.createdBy?.userPrincipalName
      ? await run.deps.holds.get(job.createdBy.userPrincipalName, run.message.taskId)
      : undefined;
    await messages.post({
      ...common,
      kind,
      ...(hold?.expiresAt ? { expiresAt: hold.expiresAt } : {}),
      ...(run.deps.releasePageUrl ? { releaseUrl: run.deps.releasePageUrl } : {}),
    });
  } catch (error) {
    run.log.warn('message.not-queued', { kind, ...describeError(error) });
  }
}

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
  await notifyQuota(run, record, job);
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

/** A quota's share used from which its owner is told it is nearly used up (`quota`, state `near`). */
export const QUOTA_NEAR_SHARE = 0.8;

/**
 * After a decision charged the owner's quotas: for each quota the charge brought to 80 % or 100 % of
 * its limit (top-ups included), a `quota` message, with an id per user, quota, period and state, so
 * the sent-message record lets each go out once per period. One usage read, only when the kind is
 * on and something was charged; a failure is logged, never thrown.
 */
async function notifyQuota(run: TaskRun, record: AuditRecord, job: PrintJob): Promise<void> {
  const { messages, usageStore } = run.deps;
  const charges = record.quotaCharges;
  if (!messages?.wants('quota') || !usageStore || !charges?.items.length) return;
  try {
    const to = {
      ...(job.createdBy?.id ? { id: job.createdBy.id } : {}),
      ...(job.createdBy?.userPrincipalName ? { userPrincipalName: job.createdBy.userPrincipalName } : {}),
    };
    if (!to.id && !to.userPrincipalName) return;
    const counters = await usageStore.read(
      charges.userKey,
      charges.items.map((i) => ({ quota: i.quota, periodKey: i.periodKey })),
    );
    for (const item of charges.items) {
      const counter = counters.find((c) => c.quota === item.quota && c.periodKey === item.periodKey);
      const used = (counter?.confirmed ?? 0) + (counter?.reserved ?? 0);
      const limit = item.limit + (counter?.topUp ?? 0);
      if (limit <= 0) continue;
      const state = used >= limit ? 'reached' : used >= limit * QUOTA_NEAR_SHARE ? 'near' : undefined;
      if (!state) continue;
      await messages.post({
        kind: 'quota',
        id: `quota:${charges.userKey}:${item.quota}:${item.periodKey}:${state}`.slice(0, 200),
        to,
        quota: {
          name: item.quota.slice(0, 100),
          state,
          used,
          limit,
          unit: item.measure,
          ...(item.periodLabel ? { period: item.periodLabel.slice(0, 100) } : {}),
        },
        correlationId: run.message.correlationId,
      });
    }
  } catch (error) {
    run.log.warn('message.not-queued', { kind: 'quota', ...describeError(error) });
  }
}

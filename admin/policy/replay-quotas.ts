/**
 * Quotas in a replay: usage is re-accumulated in time order from what the candidate policy itself
 * would have printed, in a memory usage store that starts empty at the replay's first record, so a
 * quota condition is decided as it would really have been (not from the usage the old policy left).
 */
import type { AuditRecord } from '../../src/audit/audit-log';
import type { Decision, PolicyContext } from '../../src/policy/decision';
import { quotaSession, type QuotaSession } from '../../src/processor/quota-charging';
import { memoryUsageStore } from '../../src/quota/memory-usage-store';
import type { UsageStore } from '../../src/quota/quota-model';
import type { PolicyQuotas } from '../../src/quota/standings';

export interface QuotaReplayHooks {
  contextFor(record: AuditRecord, base: PolicyContext): PolicyContext;
  afterDecision(record: AuditRecord, decision: Decision): Promise<void>;
  /** The re-accumulated usage, for a look at where each user ended. */
  usage: UsageStore;
}

/**
 * Replay hooks for a candidate that declares quotas. Each record's job is charged as the processor
 * charges it (the final configuration's cost, for a decision that prints or may print: a hold counts
 * as it may print); a denial costs nothing. Group applicability uses the record's recorded look-ups:
 * a group never checked makes the job not replayable (the recorded context throws), never guessed.
 */
export function quotaReplayHooks(quotas: PolicyQuotas, usage: UsageStore = memoryUsageStore()): QuotaReplayHooks {
  // Replay calls contextFor, decides, then afterDecision, one record at a time, in time order.
  let current: { taskId: string; session: QuotaSession } | undefined;
  return {
    usage,
    contextFor(record, base) {
      const session = quotaSession({
        store: usage,
        quotas: () => quotas,
        job: base.job,
        now: base.now,
        memberOf: (groupIds) => base.memberOf(groupIds),
      });
      current = { taskId: record.taskId, session };
      return { ...base, quota: (name) => session.quota(name) };
    },
    async afterDecision(record, decision) {
      if (current?.taskId !== record.taskId) return;
      const charges = await current.session.chargesFor(decision);
      // Over the limit only if the candidate chose to print anyway: counted, as the processor counts it.
      if (charges) await usage.reserve(charges.userKey, record.taskId, charges.items);
    },
  };
}

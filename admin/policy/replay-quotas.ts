/**
 * Quota usage in a replay: a candidate policy with quotas decides each job from the usage the
 * candidate itself would have let the earlier jobs build up, re-accumulated in time order in a
 * memory store, so a stricter quota stops the jobs it would really have stopped, and a job it
 * denies costs the later ones nothing. Top-ups and resets an admin made in the period are not
 * replayed (they were granted against the old policy's usage).
 */
import type { AuditRecord } from '../../src/audit/audit-log';
import { decisionChanges, type Decision, type PolicyContext, type ReleasePolicy } from '../../src/policy/decision';
import { applyConfigurationChange, jobCost } from '../../src/quota/job-cost';
import { memoryUsageStore } from '../../src/quota/memory-usage-store';
import { userKeyOf } from '../../src/quota/quota-model';
import { chargeItemsFor, lazyQuotaLookup } from '../../src/quota/standings';
import type { ReplayHooks } from './replay';

/** Decisions that print, or may print once released from a hold: these charge the quota. */
const CHARGING: ReadonlySet<Decision['action']> = new Set(['release', 'release-with-changes', 'redirect', 'hold']);

/**
 * Whether a held job really printed: the recorded outcome says so when the old policy held it too;
 * otherwise a held job is counted as printed (a quota replay errs towards using the quota up).
 */
function heldJobPrinted(record: AuditRecord, decision: Decision): boolean {
  if (decision.action !== 'hold') return true;
  if (record.outcome === 'hold-released') return true;
  if (record.outcome === 'hold-expired') return decision.onExpiry === 'release';
  if (record.outcome === 'hold-deleted' || record.outcome === 'hold-vanished') return false;
  return true;
}

/** Hooks that re-accumulate quota usage, or undefined when the candidate declares no quotas. */
export function quotaReplayHooks(policy: ReleasePolicy): ReplayHooks | undefined {
  if (!policy.quotas?.definitions.length) return undefined;
  const store = memoryUsageStore();
  let current: { taskId: string; context: PolicyContext } | undefined;
  return {
    contextFor(record, base) {
      const owner = base.job.owner;
      const userKey = userKeyOf(owner);
      const context: PolicyContext = {
        ...base,
        // A job with no owner has no usage to count: no quota applies to it (as in the processor).
        quota: userKey
          ? lazyQuotaLookup({
              quotas: () => policy.quotas,
              now: base.now,
              owner,
              memberOf: (groupIds) => base.memberOf(groupIds),
              cost: jobCost(base.job.configuration),
              read: (periods) => store.read(userKey, periods),
            })
          : () => Promise.resolve(undefined),
      };
      current = { taskId: record.taskId, context };
      return context;
    },
    async afterDecision(record, decision) {
      const context = current?.taskId === record.taskId ? current.context : undefined;
      const quotas = policy.quotas;
      const userKey = context && userKeyOf(context.job.owner);
      if (!context || !quotas || !userKey || !CHARGING.has(decision.action)) return;
      const printsWith = applyConfigurationChange(context.job.configuration, decisionChanges(decision));
      const items = await chargeItemsFor({
        ...quotas,
        now: context.now,
        owner: context.job.owner,
        memberOf: (groupIds) => context.memberOf(groupIds),
        cost: jobCost(printsWith),
      });
      if (items.length === 0) return;
      const reserved = await store.reserve(userKey, record.jobId, items, context.job.owner);
      // Refused only when the candidate decided past its own limit: that job did not print.
      if (!reserved.ok) return;
      if (heldJobPrinted(record, decision)) await store.confirm(userKey, record.jobId);
      else await store.cancel(userKey, record.jobId);
    },
  };
}

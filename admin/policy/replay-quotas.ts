/**
 * Quotas in a replay: the candidate's usage is re-accumulated in time order, from its own decisions,
 * so a job is decided against what the candidate would have let through before it, not against what
 * the old policy did. Usage starts at zero with the first replayed record (a period that began before
 * `--from` counts only what is replayed). Group look-ups for quota applicability come from the recorded
 * context: a group never checked makes the job not replayable, never guessed.
 */
import type { AuditRecord } from '../../src/audit/audit-log';
import type { Decision, PolicyContext } from '../../src/policy/decision';
import { quotaSession, type QuotaSession } from '../../src/processor/quota-charging';
import { memoryUsageStore } from '../../src/quota/memory-usage-store';
import { chargeKeyOf } from '../../src/quota/quota-model';
import { settlementOf } from '../../src/quota/settle-charges';
import type { PolicyQuotas } from '../../src/quota/standings';
import { NotRecordedError } from '../../src/policy/recorded-context';
import type { ReplayHooks } from './replay';

/** Whether a held job the candidate holds would have printed: as the recorded job's hold ended, if it was held. */
const holdPrinted = (record: AuditRecord) => settlementOf(record.outcome) === 'confirm';

export function quotaReplayHooks(quotas: () => PolicyQuotas | undefined): ReplayHooks {
  const store = memoryUsageStore();
  const sessions = new WeakMap<AuditRecord, QuotaSession>();
  return {
    contextFor(record: AuditRecord, base: PolicyContext): PolicyContext {
      const session = quotaSession({
        store,
        quotas,
        job: base.job,
        jobKey: chargeKeyOf({ printerId: record.printerId, jobId: record.jobId }),
        now: base.now,
        memberOf: (groupIds) => base.memberOf(groupIds),
      });
      sessions.set(record, session);
      return { ...base, quota: (name) => session.quota(name) };
    },
    async afterDecision(record: AuditRecord, decision: Decision): Promise<void> {
      // A group the charge needs that was never checked: this job is not counted (it cannot be guessed).
      const charges = await sessions
        .get(record)
        ?.chargesFor(decision)
        .catch((error: unknown) => {
          if (error instanceof NotRecordedError) return undefined;
          throw error;
        });
      if (!charges) return;
      // Counted as the candidate decided, even over a limit it chose to exceed; a hold only if it printed.
      const items = charges.items.map((item) => ({ ...item, overLimit: true }));
      await store.reserve(charges.userKey, charges.jobKey, items);
      if (decision.action !== 'hold' || holdPrinted(record)) await store.confirm(charges.userKey, charges.jobKey);
      else await store.cancel(charges.userKey, charges.jobKey);
    },
  };
}

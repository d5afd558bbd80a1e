import type { AuditRecord } from '../../../src/audit/audit-log';
import type { PolicyContext, ReleasePolicy } from '../../../src/policy/decision';
import { recordingContext } from '../../../src/policy/recorded-context';
import { replay } from '../../../admin/policy/replay';
import { quotaReplayHooks } from '../../../admin/policy/replay-quotas';
import type { QuotaDefinition } from '../../../src/quota/quota-model';
import { context } from '../../support/policy-context';

/** A record the old policy (release everything) journaled, with its recorded context. */
function released(jobId: string, now: string, upn = 'sam@school.example'): AuditRecord {
  const base = context({ now, upn, copies: 2, colorMode: 'color' });
  const ctx: PolicyContext = { ...base, job: { ...base.job, id: jobId, owner: { ...base.job.owner, id: upn } } };
  const decision = { action: 'release' as const, rule: 'all' };
  return {
    receivedAt: now,
    taskId: `task-${jobId}`,
    taskDefinitionId: 'def',
    jobId,
    printerId: ctx.job.printerId,
    userPrincipalName: upn,
    rule: decision.rule,
    action: decision.action,
    decision,
    outcome: 'released',
    correlationId: 'c',
    decidedAt: now,
    policyContext: recordingContext(ctx).recorded(),
  };
}

const colour: QuotaDefinition = { name: 'colour', measure: 'colorCopies', limit: 3, period: { every: 'month' } };
const candidate: ReleasePolicy = {
  name: 'candidate',
  quotas: { definitions: [colour], timeZone: 'Europe/London' },
  async decide(context) {
    const standing = await context.quota('colour');
    return standing?.wouldExceed
      ? { action: 'deny', rule: 'colour quota', reason: `used ${standing.used} of ${standing.limit}` }
      : { action: 'release', rule: 'all' };
  },
};

describe('replay with quotas: usage re-accumulated from the candidate decisions, in time order', () => {
  it('denies once the candidate would have used the quota up; a denied job costs nothing; a new month starts at zero', async () => {
    const records = [
      released('3', '2026-11-03T09:00:00Z'),
      released('1', '2026-11-01T09:00:00Z'),
      released('2', '2026-11-02T09:00:00Z'),
      released('4', '2026-11-04T09:00:00Z', 'ana@school.example'),
      released('5', '2026-12-01T09:00:00Z'),
    ];
    const result = await replay(candidate, records, {
      timeZone: 'Europe/London',
      sample: 5,
      hooks: quotaReplayHooks(() => candidate.quotas),
    });
    expect(result).toMatchObject({ replayed: 5, changed: 2, unchanged: 3, notReplayable: { total: 0 } });
    expect(result.byRuleChange).toMatchObject([
      { oldRule: 'all', newRule: 'colour quota', count: 2, samples: [{ jobId: '2' }, { jobId: '3' }] },
    ]);
    expect(result.byRuleChange[0]!.samples.map((s) => s.new.reason)).toEqual(['used 2 of 3', 'used 2 of 3']);
  });

  it('without the hooks, a candidate asking a quota the old policy never asked is not replayable', async () => {
    const result = await replay(candidate, [released('1', '2026-11-01T09:00:00Z')], {
      timeZone: 'Europe/London',
      sample: 1,
    });
    expect(result.notReplayable).toEqual({
      total: 1,
      byReason: { 'quota colour was not asked when the job was decided': 1 },
    });
  });
});

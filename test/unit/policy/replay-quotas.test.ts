import { quotaReplayHooks } from '../../../admin/policy/replay-quotas';
import type { AuditRecord } from '../../../src/audit/audit-log';
import type { PrintJob } from '../../../src/graph/print-schemas';
import type { Decision, PolicyContext, ReleasePolicy } from '../../../src/policy/decision';
import { buildPolicyContext } from '../../../src/policy/policy-context';
import type { PolicyQuotas } from '../../../src/quota/standings';

const SAM = { id: '0b1c2d3e-0000-4000-8000-000000000004', userPrincipalName: 'sam.student@contoso.example' };
const STUDENTS = '6c8a2f0e-0000-4000-8000-00000000a002';
const QUOTAS: PolicyQuotas = {
  timeZone: 'Europe/London',
  definitions: [
    {
      name: 'student-colour',
      measure: 'colorCopies',
      limit: 3,
      period: { terms: [{ name: 'Autumn 2026', start: '2026-09-01', end: '2026-12-18' }] },
      groups: [STUDENTS],
    },
  ],
};

/** Denies a colour job that would take its owner over the quota; releases everything else. */
const candidate: ReleasePolicy = {
  name: 'stricter',
  async decide(context) {
    const colour = await context.quota('student-colour');
    if (colour && colour.cost > 0 && colour.wouldExceed)
      return { action: 'deny', rule: 'colour quota', reason: `${colour.used} of ${colour.limit} used` };
    return { action: 'release', rule: 'everything else' };
  },
};

let n = 0;
/** A recorded job of Sam's, its context as replay rebuilds it (the group look-up as recorded). */
function recorded(configuration: PrintJob['configuration'], memberOf = async () => new Set([STUDENTS])) {
  const taskId = `task-${++n}`;
  const decidedAt = new Date(Date.UTC(2026, 11, 1, 9, n));
  const record = { taskId, jobId: String(1000 + n), decidedAt: decidedAt.toISOString() } as AuditRecord;
  const base: PolicyContext = {
    ...buildPolicyContext({
      job: { id: record.jobId, status: { state: 'paused' }, createdBy: SAM, configuration },
      printerId: 'printer-1',
      tenantId: 'tenant',
      now: decidedAt,
      printers: { getPrinter: async () => ({ id: 'printer-1' }) },
    }),
    memberOf,
  };
  return { record, base };
}

/** Replays the records in order through the candidate with the hooks, as admin/policy/replay.ts calls them. */
async function replayed(jobs: ReturnType<typeof recorded>[], hooks = quotaReplayHooks(QUOTAS)) {
  const decisions: Decision[] = [];
  for (const { record, base } of jobs) {
    const decision = await candidate.decide(hooks.contextFor(record, base));
    await hooks.afterDecision(record, decision);
    decisions.push(decision);
  }
  return { decisions, hooks };
}

describe('quotas in a replay: usage re-accumulated from what the candidate itself would have printed', () => {
  it('counts released jobs in time order; a denied job costs nothing, black and white costs no colour', async () => {
    const { decisions, hooks } = await replayed([
      recorded({ colorMode: 'color', copies: 2 }), // 0 + 2 ≤ 3: released
      recorded({ colorMode: 'color', copies: 2 }), // 2 + 2 > 3: denied, nothing counted
      recorded({ colorMode: 'color', copies: 1 }), // 2 + 1 ≤ 3: released
      recorded({ colorMode: 'blackAndWhite', copies: 9 }),
      recorded({ colorMode: 'color' }), // 3 + 1 > 3
    ]);
    expect(decisions.map((d) => (d.action === 'deny' ? d.reason : d.action))).toEqual([
      'release',
      '2 of 3 used',
      'release',
      'release',
      '3 of 3 used',
    ]);
    const [counter] = await hooks.usage.list();
    expect(counter).toMatchObject({
      userKey: SAM.id,
      quota: 'student-colour',
      periodKey: 'term:autumn-2026',
      reserved: 3,
      viaGroups: [STUDENTS],
    });
  });

  it('a group look-up that was not recorded is thrown (replay counts the job as not replayable), never guessed', async () => {
    const notRecorded = async (): Promise<Set<string>> => {
      throw new Error('group 6c8a… was not checked when this job was decided');
    };
    await expect(replayed([recorded({ colorMode: 'color' }, notRecorded)])).rejects.toThrow(/was not checked/);
  });
});

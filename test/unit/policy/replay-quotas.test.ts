import type { ReleasePolicy } from '../../../src/policy/decision';
import { replay } from '../../../admin/policy/replay';
import { declarative, recorded } from '../../support/replay-records';

const releaseAll: ReleasePolicy = { name: 'old', decide: async () => ({ action: 'release', rule: 'all' }) };
const options = { timeZone: 'Europe/London', sample: 5 };
const STUDENT = 'sam@students.school.example';

/** At most three colour jobs a month for students; a job over it is denied with where the student stands. */
const colourQuota = declarative({
  quotas: [
    {
      name: 'colour-jobs',
      measure: 'colorJobs',
      limit: 3,
      period: { every: 'month' },
      users: ['*@students.school.example'],
    },
  ],
  rules: [
    {
      name: 'colour quota',
      when: { quota: { name: 'colour-jobs', state: 'wouldExceed' } },
      then: { deny: { reason: 'You have used {used} of {limit} colour jobs {period}.' } },
    },
  ],
  default: { release: {} },
});

describe('replay with quotas', () => {
  it('re-accumulates usage in time order: the jobs past the limit are denied, black and white and the next month still print', async () => {
    const jobs: [string, string, 'color' | 'grayscale'][] = [
      ['1', '2026-11-02T09:00:00Z', 'color'],
      ['2', '2026-11-03T09:00:00Z', 'color'],
      ['3', '2026-11-04T09:00:00Z', 'grayscale'],
      ['4', '2026-11-05T09:00:00Z', 'color'],
      ['5', '2026-11-06T09:00:00Z', 'color'], // the fourth colour job of November
      ['6', '2026-11-07T09:00:00Z', 'color'],
      ['7', '2026-12-01T09:00:00Z', 'color'], // a new month
    ];
    // Recorded out of order: replay sorts them by decision time.
    const records = await Promise.all(
      jobs.reverse().map(([jobId, now, colorMode]) => recorded(releaseAll, { jobId, now, colorMode, upn: STUDENT })),
    );
    const result = await replay(colourQuota, records, options);
    expect(result.replayed).toBe(7);
    expect(result.changed).toBe(2);
    const change = result.byRuleChange[0]!;
    expect(change.samples.map((s) => s.jobId)).toEqual(['5', '6']);
    expect(change.samples[0]!.new.reason).toBe('You have used 3 of 3 colour jobs this month.');
  });

  it('a held job its owner deleted costs nothing; one released at a printer uses the quota', async () => {
    const holdColour = declarative({
      quotas: [{ name: 'colour-jobs', measure: 'colorJobs', limit: 1, period: { every: 'month' } }],
      rules: [
        {
          name: 'colour quota',
          when: { quota: { name: 'colour-jobs', state: 'wouldExceed' } },
          then: { deny: { reason: 'No colour left {period}.' } },
        },
        {
          name: 'hold colour',
          when: { colorMode: ['color'] },
          then: { hold: { expiresInMinutes: 60, onExpiry: 'deny' } },
        },
      ],
      default: { release: {} },
    });
    const deleted = {
      ...(await recorded(releaseAll, { jobId: '1', now: '2026-11-02T09:00:00Z' })),
      outcome: 'hold-deleted' as const,
    };
    const printed = {
      ...(await recorded(releaseAll, { jobId: '2', now: '2026-11-03T09:00:00Z' })),
      outcome: 'hold-released' as const,
    };
    const denied = await recorded(releaseAll, { jobId: '3', now: '2026-11-04T09:00:00Z' });
    const result = await replay(holdColour, [deleted, printed, denied], options);
    // 1: held then deleted (free); 2: held, and it printed (uses the one colour job); 3: over the quota.
    expect(result.byRuleChange.map((c) => [c.newRule, c.samples.map((s) => s.jobId)])).toEqual([
      ['hold colour', ['1', '2']],
      ['colour quota', ['3']],
    ]);
  });

  it('a quota counted through a group the old policy never checked makes the job not replayable, never guessed', async () => {
    const byGroup = declarative({
      quotas: [
        {
          name: 'colour-jobs',
          measure: 'colorJobs',
          limit: 1,
          period: { every: 'month' },
          groups: ['5e6f7a8b-0000-4000-8000-00000000000a'],
        },
      ],
      rules: [
        { name: 'quota', when: { quota: { name: 'colour-jobs', state: 'reached' } }, then: { deny: { reason: 'no' } } },
      ],
      default: { release: {} },
    });
    const records = [await recorded(releaseAll, { jobId: '1', now: '2026-11-02T09:00:00Z' })];
    const result = await replay(byGroup, records, options);
    expect(result.notReplayable.total).toBe(1);
    expect(Object.keys(result.notReplayable.byReason)[0]).toMatch(/group .* was not checked/);
  });
});

import { readFileSync } from 'node:fs';
import type { AuditRecord } from '../../../src/audit/audit-log';
import type { Decision, ReleasePolicy } from '../../../src/policy/decision';
import { formatReplay, NO_CONTEXT_REASON, replay } from '../../../admin/policy/replay';
import { EXAMPLE_HISTORY_FILE, exampleHistory } from '../../../scripts/example-history';
import { PRINTERS } from '../../support/policy-context';
import { declarative, recorded } from '../../support/replay-records';

const GROUP = '5e6f7a8b-0000-4000-8000-00000000000a';

const releaseAll: ReleasePolicy = { name: 'old', decide: async () => ({ action: 'release', rule: 'all' }) };
const options = { timeZone: 'Europe/London', sample: 2 };

describe('replay', () => {
  it('decides each record as of its own time: a time window evaluates at the moment the job was decided', async () => {
    const records = [
      await recorded(releaseAll, { jobId: '1', now: '2026-11-24T10:00:00Z' }),
      await recorded(releaseAll, { jobId: '2', now: '2026-11-24T19:30:00Z' }),
      await recorded(releaseAll, { jobId: '3', now: '2026-11-28T10:00:00Z' }), // a Saturday
    ];
    const candidate = declarative({
      rules: [
        {
          name: 'open',
          when: { time: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' } },
          then: { release: {} },
        },
      ],
      default: { deny: { reason: 'closed' } },
    });
    const result = await replay(candidate, records, options);
    expect(result).toMatchObject({ total: 3, replayed: 3, changed: 2, unchanged: 1, notReplayable: { total: 0 } });
    expect(result.byActionChange).toEqual({ 'release → deny': 2 });
    expect(result.byHour).toEqual({ '10': 1, '19': 1 });
    expect(result.byRuleChange[0]!.samples.map((s) => s.jobId)).toEqual(['2', '3']);
  });

  it('counts a job whose look-up was not recorded as not replayable, with the reason, never guessed', async () => {
    const checksGroup: ReleasePolicy = {
      name: 'old',
      async decide(ctx) {
        return (await ctx.memberOf([GROUP])).has(GROUP)
          ? { action: 'release', rule: 'team' }
          : { action: 'deny', rule: 'others', reason: 'no' };
      },
    };
    const records = [
      await recorded(checksGroup, { jobId: '1', groups: [GROUP] }),
      await recorded(releaseAll, { jobId: '2', groups: [GROUP] }),
    ];
    const { policyContext: _none, ...older } = await recorded(releaseAll, { jobId: '3' });
    const byGroup = declarative({
      rules: [{ name: 'team', when: { groups: { include: [GROUP] } }, then: { release: {} } }],
      default: { deny: { reason: 'no' } },
    });
    const result = await replay(byGroup, [...records, older], options);
    expect(result).toMatchObject({ replayed: 1, changed: 0, unchanged: 1 });
    expect(result.notReplayable).toEqual({
      total: 2,
      byReason: { [`group ${GROUP} was not checked when the job was decided`]: 1, [NO_CONTEXT_REASON]: 1 },
    });
    const byPrinter = declarative({
      rules: [{ name: 'hq', when: { location: { site: ['HQ'] } }, then: { release: {} } }],
      default: { deny: { reason: 'no' } },
    });
    const printerResult = await replay(byPrinter, records, options);
    expect(printerResult.notReplayable.byReason).toEqual({ 'the printer was not read when the job was decided': 2 });
    // A policy that swallows the failure still does not count as replayed.
    const swallowing: ReleasePolicy = {
      name: 'swallows',
      decide: (ctx) =>
        ctx.printer().then(
          (): Decision => ({ action: 'release', rule: 'read' }),
          (): Decision => ({ action: 'release', rule: 'all' }),
        ),
    };
    expect((await replay(swallowing, records, options)).notReplayable.total).toBe(2);
  });

  it('groups changes by rule, action, user, printer and hour, with up to N samples per change', async () => {
    const records = [];
    for (let i = 0; i < 5; i++)
      records.push(
        await recorded(releaseAll, {
          jobId: String(i),
          upn: i < 3 ? 'a@x.example' : 'b@x.example',
          printer: i < 4 ? PRINTERS.floor1 : PRINTERS.hr,
          colorMode: i === 0 ? 'grayscale' : 'color',
          now: `2026-11-24T1${i}:00:00Z`,
        }),
      );
    const candidate = declarative({
      rules: [{ name: 'colour', when: { colorMode: ['color'] }, then: { releaseWithChanges: { grayscale: true } } }],
      default: { release: {} },
    });
    // Renaming a rule is not a change: job 0 is released either way.
    const result = await replay(candidate, records.reverse(), options);
    expect(result).toMatchObject({ replayed: 5, changed: 4, unchanged: 1 });
    expect(result.byRuleChange).toEqual([expect.objectContaining({ oldRule: 'all', newRule: 'colour', count: 4 })]);
    expect(result.byRuleChange[0]!.samples).toHaveLength(2);
    expect(result.byRuleChange[0]!.samples[0]).toMatchObject({
      jobId: '1',
      user: 'a@x.example',
      printer: PRINTERS.floor1.displayName,
      document: 'Report.pdf',
      old: { action: 'release' },
      new: { action: 'release-with-changes', details: { changes: { colorMode: 'grayscale' } } },
    });
    expect(result.byUser).toEqual({ 'a@x.example': 2, 'b@x.example': 2 });
    expect(result.byPrinter).toEqual({ [PRINTERS.floor1.displayName]: 3, [PRINTERS.hr.displayName]: 1 });
    expect(result.byHour).toEqual({ '11': 1, '12': 1, '13': 1, '14': 1 });
    expect(formatReplay(result, 'November')).toContain('4  "all" → "colour"');
  });

  it("compares with the policy's own decision on a pull queue, and calls the hooks in time order", async () => {
    const record = await recorded(releaseAll, { jobId: 'p' });
    const onPullQueue: AuditRecord = {
      ...record,
      policyDecision: record.decision,
      decision: { action: 'hold', rule: 'all', expiresInMinutes: 60, onExpiry: 'deny' },
      action: 'hold',
    };
    const later = await recorded(releaseAll, { jobId: 'later', now: '2026-11-25T10:00:00Z' });
    const seen: string[] = [];
    const result = await replay(releaseAll, [later, onPullQueue], {
      ...options,
      hooks: {
        contextFor: (r, base) => {
          seen.push(`context ${r.jobId}`);
          return base;
        },
        afterDecision: (r, decision) => void seen.push(`decided ${r.jobId} ${decision.action}`),
      },
    });
    expect(result).toMatchObject({ replayed: 2, changed: 0 });
    expect(seen).toEqual(['context p', 'decided p release', 'context later', 'decided later release']);
  });

  it('the committed example history is what scripts/example-history.ts writes', async () => {
    const lines = (await exampleHistory()).map((r) => JSON.stringify(r));
    expect(readFileSync(EXAMPLE_HISTORY_FILE, 'utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
  });
});

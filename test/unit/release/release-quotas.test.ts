import { HttpRequest } from '@azure/functions';
import type { QuotaDefinition } from '../../../src/quota/quota-model';
import { handleReleaseApi, type ReleaseApiDependencies } from '../../../src/release/release-api';
import { QUOTAS_UNAVAILABLE, quotaStandingsReader } from '../../../src/release/quota-standings';
import {
  FakeUsageReader,
  heldAuditRecord,
  heldJobFor,
  PRINTERS,
  recordingLog,
  releaseWorld,
  USERS,
} from '../../support/release-fakes';

const SITE = 'https://release-gate.example';
const { lee: LEE, adele: ADELE } = USERS;
const STUDENTS = '6c8a2f0e-0000-4000-8000-00000000a002';
const STAFF = '6c8a2f0e-0000-4000-8000-00000000a001';
const NOW = new Date('2026-12-02T10:00:00Z');
const TERM = { terms: [{ name: 'Autumn 2026', start: '2026-09-01', end: '2026-12-18' }] };

const QUOTAS: QuotaDefinition[] = [
  { name: 'colour-copies', measure: 'colorCopies', limit: 3, period: TERM, groups: [STUDENTS] },
  { name: 'jobs', measure: 'jobs', limit: 100, period: { every: 'month' } },
  { name: 'staff-pages', measure: 'pages', limit: 500, period: { every: 'month' }, groups: [STAFF] },
  {
    name: 'spring',
    measure: 'jobs',
    limit: 5,
    period: { terms: [{ name: 'Spring', start: '2027-01-05', end: '2027-03-31' }] },
  },
];

/** The release API with the quota part, for users whose group membership the fake "Graph" knows. */
function setUp(options: { quotas?: QuotaDefinition[]; quotaPart?: boolean } = {}) {
  const { graph, holds, audit, tasks, pins } = releaseWorld();
  const usage = new FakeUsageReader();
  const membership = new Map([[LEE.id, new Set([STUDENTS])]]);
  const memberOfCalls: string[][] = [];
  let memberOfFailure: Error | undefined;
  const log = recordingLog();
  const deps: ReleaseApiDependencies = {
    api: graph.api,
    holds,
    audit,
    tasks,
    log,
    pins: pins.store,
    releasePrinters: [PRINTERS.library],
    listReleasePrinters: async () => [{ id: PRINTERS.library, displayName: 'Library' }],
    verifyUser: async (authorization) => {
      const user = [LEE, ADELE].find((u) => authorization === `Bearer ${u.upn}`)!;
      return { objectId: user.id, userPrincipalName: user.upn };
    },
    ...(options.quotaPart === false
      ? {}
      : {
          quotaStandings: quotaStandingsReader({
            quotas: () => ({ definitions: options.quotas ?? QUOTAS, timeZone: 'Europe/London' }),
            usage: usage.store,
            memberOf: async (userId, groupIds) => {
              memberOfCalls.push([...groupIds]);
              if (memberOfFailure) throw memberOfFailure;
              return new Set(groupIds.filter((g) => membership.get(userId)?.has(g)));
            },
            now: () => NOW,
          }),
        }),
  };
  const list = async (user: { upn: string }) => {
    const response = await handleReleaseApi(
      'list',
      new HttpRequest({
        method: 'GET',
        url: `${SITE}/api/release/jobs`,
        headers: { authorization: `Bearer ${user.upn}` },
      }),
      deps,
    );
    expect(response.status).toBe(200);
    return response.jsonBody as { jobs: unknown[]; quotas?: unknown };
  };
  const hold = async (user: typeof LEE) => {
    const { held } = heldJobFor(graph, user, PRINTERS.queue);
    await holds.add(held);
    await audit.write(heldAuditRecord(held));
  };
  return {
    usage,
    log,
    list,
    hold,
    memberOfCalls,
    failMemberOf: (error: Error) => (memberOfFailure = error),
  };
}

describe('the release page’s jobs list: where the user stands on each quota', () => {
  it('lists the quotas that apply now, as declared: used is confirmed + reserved, the limit includes top-ups', async () => {
    const { usage, list } = setUp();
    usage.counters.push(
      { userKey: LEE.id, quota: 'colour-copies', periodKey: 'term:autumn-2026', confirmed: 2, reserved: 1, topUp: 1 },
      { userKey: LEE.id, quota: 'jobs', periodKey: '2026-12', confirmed: 100, reserved: 0, topUp: 0 },
    );
    expect((await list(LEE)).quotas).toEqual({
      standings: [
        {
          quota: 'colour-copies',
          measure: 'colorCopies',
          used: 3,
          limit: 4,
          remaining: 1,
          reached: false,
          period: { label: 'this term (Autumn 2026)', end: '2026-12-19T00:00:00.000Z' },
        },
        {
          quota: 'jobs',
          measure: 'jobs',
          used: 100,
          limit: 100,
          remaining: 0,
          reached: true,
          period: { label: 'this month', end: '2027-01-01T00:00:00.000Z' },
        },
      ],
    });
    // The user's own counters, for the periods in force now (not the spring term's).
    expect(usage.reads).toEqual([
      {
        userKey: LEE.id,
        periods: [
          { quota: 'colour-copies', periodKey: 'term:autumn-2026' },
          { quota: 'jobs', periodKey: '2026-12' },
          { quota: 'staff-pages', periodKey: '2026-12' },
        ],
      },
    ]);
  });

  it('group quotas go by the user’s membership, asked once for every group: staff see none of the students’', async () => {
    const { list, memberOfCalls } = setUp();
    const adele = (await list(ADELE)).quotas as { standings: { quota: string; used: number }[] };
    expect(adele.standings.map((s) => [s.quota, s.used])).toEqual([['jobs', 0]]);
    expect(memberOfCalls).toEqual([[STUDENTS, STAFF]]);
  });

  it('a policy without quotas: an empty quota part, and usage is not read; without the part, no quotas key', async () => {
    const none = setUp({ quotas: [] });
    expect((await none.list(LEE)).quotas).toEqual({ standings: [] });
    expect(none.usage.reads).toEqual([]);
    expect(await setUp({ quotaPart: false }).list(LEE)).not.toHaveProperty('quotas');
  });

  it('usage that cannot be read, or membership that cannot be looked up, never breaks the jobs list', async () => {
    for (const fail of ['usage', 'membership'] as const) {
      const { usage, list, hold, log, failMemberOf } = setUp();
      await hold(LEE);
      const error = Object.assign(new Error('Service unavailable'), { statusCode: 503 });
      if (fail === 'usage') usage.failure = error;
      else failMemberOf(error);
      const answer = await list(LEE);
      expect(answer.jobs).toHaveLength(1);
      expect(answer.quotas).toEqual({ unavailable: QUOTAS_UNAVAILABLE });
      expect(log.events).toContainEqual({
        level: 'warn',
        event: 'release.quotas-unavailable',
        fields: expect.objectContaining({ error: 'Service unavailable', statusCode: 503 }),
      });
    }
  });
});

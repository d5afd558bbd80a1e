import { HttpRequest } from '@azure/functions';
import type { Printer } from '../../../src/graph/print-schemas';
import {
  nearestReadyPrinters,
  printerReadiness,
  readinessOf,
  type Readiness,
} from '../../../src/release/printer-readiness';
import { handleReleaseApi, type ReleaseApiDependencies } from '../../../src/release/release-api';
import type { ReleasePrinter } from '../../../src/release/release-printers';
import { terminalKeyHash, terminalRelease, type TerminalDependencies } from '../../../src/release/terminal-release';
import { tableAttemptLimiter } from '../../../src/release/rate-limit';
import {
  FakeTable,
  graphError,
  heldAuditRecord,
  heldJobFor,
  PRINTERS,
  recordingLog,
  releaseWorld,
  USERS,
} from '../../support/release-fakes';

const printer = (status: Printer['status'], extra: Partial<Printer> = {}): Printer => ({
  id: 'p1',
  displayName: 'Library',
  status,
  ...extra,
});

describe('readinessOf: what Graph’s printerStatus means for a release', () => {
  it('an error detail refuses with a reason a user understands, whatever the state', () => {
    expect(readinessOf(printer({ state: 'stopped', details: ['mediaEmpty'] }))).toEqual({
      ready: false,
      displayName: 'Library',
      reason: 'out of paper',
      says: 'is out of paper',
    });
    expect(readinessOf(printer({ state: 'processing', details: ['mediaJam', 'doorOpen'] }))).toMatchObject({
      ready: false,
      reason: 'paper jam and a door is open',
    });
    expect(readinessOf(printer({ state: 'idle', details: ['tonerEmpty'] }))).toMatchObject({ reason: 'out of toner' });
    expect(readinessOf(printer({ state: 'stopped', details: ['paused'] }))).toMatchObject({ reason: 'paused' });
  });

  it('warnings (paper or toner low, output almost full) do not refuse; unknown state alone does not either', () => {
    for (const details of [['mediaLow'], ['tonerLow', 'markerSupplyLow'], ['outputAreaAlmostFull'], ['none'], []])
      expect(readinessOf(printer({ state: 'idle', details }))).toEqual({ ready: true });
    expect(readinessOf(printer({ state: 'unknown', details: [] }))).toEqual({ ready: true });
    expect(readinessOf(printer(undefined))).toEqual({ ready: true });
  });

  it('stopped without a known detail, or not accepting jobs, refuses too', () => {
    expect(readinessOf(printer({ state: 'stopped', details: ['other'] }))).toMatchObject({ reason: 'stopped' });
    expect(readinessOf(printer({ state: 'idle' }, { isAcceptingJobs: false }))).toMatchObject({
      ready: false,
      reason: 'not accepting jobs',
    });
  });
});

describe('printerReadiness: cached per printer', () => {
  it('reuses a status for the cache time (fake clock), then reads again; a failed read is thrown, not kept', async () => {
    let now = 0;
    let status: Printer['status'] = { state: 'idle', details: [] };
    const reads: string[] = [];
    let fail = false;
    const check = printerReadiness({
      read: async (id) => {
        reads.push(id);
        if (fail) throw graphError(503, 'busy');
        return printer(status, { id });
      },
      cacheSeconds: 30,
      now: () => now,
    });
    expect(await check('P1')).toEqual({ ready: true });
    status = { state: 'stopped', details: ['mediaEmpty'] };
    now = 29_000;
    expect(await check('p1')).toEqual({ ready: true }); // same printer, any case: cached
    now = 30_000;
    expect(await check('p1')).toMatchObject({ ready: false, reason: 'out of paper' });
    expect(reads).toHaveLength(2);
    fail = true;
    now = 61_000;
    await expect(check('p1')).rejects.toMatchObject({ statusCode: 503 });
    fail = false;
    expect(await check('p1')).toMatchObject({ ready: false }); // the failure was not cached
    expect(reads).toHaveLength(4);
  });
});

const at = (id: string, displayName: string, site: string, building: string, floor: string): ReleasePrinter => ({
  id,
  displayName,
  location: { site, building, floor },
});

describe('nearestReadyPrinters', () => {
  const target = at('t', 'Target', 'HQ', 'A', '1');
  const printers = [
    target,
    at('a2', 'A floor 2', 'HQ', 'A', '2'),
    at('a1', 'A floor 1', 'HQ', 'A', '1'),
    at('b1', 'B floor 1', 'HQ', 'B', '1'),
    at('x1', 'Other site', 'Annex', 'A', '1'),
    at('broken', 'A broken', 'HQ', 'A', '1'),
  ];
  const check = async (id: string): Promise<Readiness> =>
    id === 'broken' ? { ready: false, displayName: id, reason: 'paper jam', says: 'has a paper jam' } : { ready: true };

  it('the same building first (same floor before others), then the same site; never one in error nor another site', async () => {
    expect((await nearestReadyPrinters(target, printers, check)).map((p) => p.id)).toEqual(['a1', 'a2', 'b1']);
  });

  it('at most three; a status that cannot be read is left out; no location: none', async () => {
    const many = [target, ...['1', '2', '3', '4'].map((n) => at(`a${n}`, `A ${n}`, 'HQ', 'A', '1'))];
    const flaky = async (id: string): Promise<Readiness> => {
      if (id === 'a1') throw graphError(503, 'busy');
      return { ready: true };
    };
    expect((await nearestReadyPrinters(target, many, flaky)).map((p) => p.id)).toEqual(['a2', 'a3', 'a4']);
    expect(await nearestReadyPrinters({ id: 'n', displayName: 'N' }, printers, check)).toEqual([]);
  });
});

const { queue: QUEUE, library: LIBRARY, hr: HR } = PRINTERS;
const NEAR = 'aaaaaaaa-0000-4000-8000-000000000004';
const { adele: ADELE } = USERS;

/** A release world whose library printer can be put out of paper, with a ready printer on the same floor. */
function world() {
  const { graph, holds, audit, pins, tasks } = releaseWorld();
  graph.addPrinter(NEAR);
  graph.printers.get(LIBRARY)!.displayName = 'Library';
  const status = { unreadable: false };
  const log = recordingLog();
  const located: ReleasePrinter[] = [
    at(LIBRARY, 'Library', 'HQ', 'Main', '1'),
    at(HR, 'HR', 'HQ', 'Main', '3'),
    at(NEAR, 'Library annex', 'HQ', 'Main', '1'),
  ];
  const outOfPaper = () => (graph.printers.get(LIBRARY)!.status = { state: 'stopped', details: ['mediaEmpty'] });
  const base = {
    api: graph.api,
    holds,
    audit,
    tasks,
    log,
    printerReadiness: printerReadiness({
      read: async (id) => {
        if (status.unreadable) throw graphError(503, 'busy');
        return graph.api.getPrinter(id);
      },
      cacheSeconds: 0,
    }),
  };
  const hold = async () => {
    const { held } = heldJobFor(graph, ADELE, QUEUE);
    await holds.add(held);
    await audit.write(heldAuditRecord(held));
    return held;
  };
  return { graph, holds, pins, log, located, outOfPaper, base, hold, status };
}

describe('release API and terminals: a printer in error', () => {
  function page() {
    const w = world();
    const deps: ReleaseApiDependencies = {
      ...w.base,
      pins: w.pins.store,
      releasePrinters: [LIBRARY, HR, NEAR],
      listReleasePrinters: async () => w.located,
      verifyUser: async () => ({ objectId: ADELE.id, userPrincipalName: ADELE.upn }),
    };
    const call = (action: 'printers' | 'release', body?: unknown) =>
      handleReleaseApi(
        action,
        new HttpRequest({
          method: body ? 'POST' : 'GET',
          url: `https://release-gate.example/api/release/jobs/${action}`,
          headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
          ...(body ? { body: { string: JSON.stringify(body) } } : {}),
        }),
        deps,
      );
    return { ...w, call };
  }

  it('409 printer_not_ready with the reason and ready printers nearby; nothing claimed, nothing sent to Graph', async () => {
    const { call, hold, holds, graph, outOfPaper } = page();
    const held = await hold();
    outOfPaper();
    const response = await call('release', { taskIds: [held.taskId], printerId: LIBRARY });
    expect(response).toMatchObject({
      status: 409,
      jsonBody: {
        error: {
          code: 'printer_not_ready',
          message: 'Library is out of paper; your jobs are still held.',
          reason: 'out of paper',
          // Same floor first; the printer in error is never offered.
          alternatives: [
            { id: NEAR, displayName: 'Library annex', location: { floor: '1' } },
            { id: HR, displayName: 'HR' },
          ],
        },
      },
    });
    expect(holds.held.has(held.taskId)).toBe(true);
    expect(graph.count('redirectJob') + graph.count('setTaskState')).toBe(0);
    // At the alternative, it prints.
    const there = await call('release', { taskIds: [held.taskId], printerId: NEAR });
    expect(there).toMatchObject({ status: 200, jsonBody: { results: [{ status: 'released', printerId: NEAR }] } });
  });

  it('the printers list marks a printer in error (ready: false, reason) so the page can grey it out', async () => {
    const { call, outOfPaper } = page();
    outOfPaper();
    const { printers } = (await call('printers')).jsonBody as { printers: { id: string }[] };
    expect(printers.find((p) => p.id === LIBRARY)).toMatchObject({ ready: false, reason: 'out of paper' });
    expect(printers.find((p) => p.id === NEAR)).toMatchObject({ ready: true });
  });

  it('a status that cannot be read now: 503 busy, still held (never a release blind, never "in error")', async () => {
    const { call, hold, holds, graph, status } = page();
    const held = await hold();
    status.unreadable = true;
    const response = await call('release', { taskIds: [held.taskId], printerId: LIBRARY });
    expect(response).toMatchObject({ status: 503, jsonBody: { error: { code: 'busy' } } });
    expect(holds.held.has(held.taskId)).toBe(true);
    expect(graph.count('redirectJob') + graph.count('setTaskState')).toBe(0);
  });

  it('a terminal at that printer gives the same refusal and reason', async () => {
    const w = world();
    const key = 'terminal-key-with-plenty-of-entropy-1234567890';
    const deps: TerminalDependencies = {
      ...w.base,
      pins: w.pins.store,
      attempts: tableAttemptLimiter(new FakeTable().client, { now: () => new Date() }),
      terminals: async () => ({
        terminals: [{ id: 'library-panel', printerId: LIBRARY, keySha256: terminalKeyHash(key) }],
      }),
      userByBadge: async () => ({ id: ADELE.id, userPrincipalName: ADELE.upn }),
      badgePattern: /^[A-Z0-9]+$/,
      signIn: 'badge-or-pin',
    };
    const held = await w.hold();
    w.outOfPaper();
    const response = await terminalRelease(
      new HttpRequest({
        method: 'POST',
        url: 'https://release-gate.example/api/terminal/release',
        headers: { 'content-type': 'application/json', 'x-terminal-id': 'library-panel', 'x-terminal-key': key },
        body: { string: JSON.stringify({ badge: 'E1001' }) },
      }),
      deps,
    );
    expect(response).toMatchObject({
      status: 409,
      jsonBody: {
        error: {
          code: 'printer_not_ready',
          message: 'Library is out of paper; your jobs are still held.',
          reason: 'out of paper',
        },
      },
    });
    expect(w.holds.held.has(held.taskId)).toBe(true);
    expect(w.graph.count('redirectJob') + w.graph.count('setTaskState')).toBe(0);
  });
});

import { memoryUserActionLog } from '../../../src/audit/user-action-log';
import { keepLonger, NO_KEEPING_REASON } from '../../../src/holds/keep-longer';
import type { HeldJob } from '../../../src/holds/hold-store';
import { FakeHoldStore, recordingLog, storedHold, USERS } from '../../support/release-fakes';

const { adele: ADELE, megan: MEGAN } = USERS;
const NOW = new Date('2026-12-03T10:00:00.000Z');
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();

/** Held 30 minutes ago for an hour (expires in 30 min), keepable up to `maxMinutes` after heldAt. */
const hold = (taskId: string, extra: Partial<HeldJob> = {}): HeldJob =>
  storedHold(taskId, ADELE, { heldAt: at(-30), expiresAt: at(30), keepUntilMax: at(150), ...extra }); // max: 3 h after heldAt

function setUp(...held: HeldJob[]) {
  const holds = new FakeHoldStore();
  for (const h of held) holds.held.set(h.taskId, structuredClone(h));
  const userActions = memoryUserActionLog();
  const deps = { holds, userActions, log: recordingLog(), now: () => NOW };
  const asAdele = { objectId: ADELE.id, userPrincipalName: ADELE.upn };
  return { holds, userActions, deps, asAdele };
}

describe('keepLonger', () => {
  it('adds the first hold length each time, up to the policy maximum, then refuses; clears warnedAt', async () => {
    const { deps, holds, userActions, asAdele } = setUp(hold('t1', { warnedAt: at(-1) }));
    expect(await keepLonger(deps, asAdele, ['t1'])).toEqual([{ taskId: 't1', status: 'kept', expiresAt: at(90) }]);
    expect(holds.held.get('t1')).toMatchObject({ expiresAt: at(90), holdMinutes: 60 });
    expect(holds.held.get('t1')?.warnedAt).toBeUndefined();
    expect(await keepLonger(deps, asAdele, ['t1'])).toEqual([{ taskId: 't1', status: 'kept', expiresAt: at(150) }]);
    expect(await keepLonger(deps, asAdele, ['t1'])).toEqual([
      { taskId: 't1', status: 'refused', reason: expect.stringContaining(`until ${at(150)}`) },
    ]);
    expect(holds.held.get('t1')?.expiresAt).toBe(at(150));
    expect(userActions.entries).toEqual([
      expect.objectContaining({ action: 'kept-longer', actor: { id: ADELE.id, userPrincipalName: ADELE.upn } }),
      expect.objectContaining({ taskId: 't1', jobId: 'job-t1', detail: `kept until ${at(150)}` }),
    ]);
  });

  it('stops at the maximum when a full length would pass it', async () => {
    const { deps, asAdele } = setUp(hold('t1', { keepUntilMax: at(45) }));
    expect(await keepLonger(deps, asAdele, ['t1'])).toEqual([{ taskId: 't1', status: 'kept', expiresAt: at(45) }]);
  });

  it('refuses a hold whose policy allows no keeping, leaving it as it was', async () => {
    const { deps, holds, userActions, asAdele } = setUp(hold('t1', { keepUntilMax: undefined }));
    expect(await keepLonger(deps, asAdele, ['t1'])).toEqual([
      { taskId: 't1', status: 'refused', reason: NO_KEEPING_REASON },
    ]);
    expect(holds.held.get('t1')?.expiresAt).toBe(at(30));
    expect(userActions.entries).toEqual([]);
  });

  it("another user's job, an expired hold and a claimed (ended) one are not-found", async () => {
    const { deps, holds, asAdele } = setUp(hold('t1'), hold('t2', { expiresAt: at(0) }), hold('t3'));
    await holds.claim({ id: ADELE.id }, 't3');
    expect(await keepLonger(deps, { objectId: MEGAN.id, userPrincipalName: MEGAN.upn }, ['t1'])).toEqual([
      { taskId: 't1', status: 'not-found' },
    ]);
    expect(await keepLonger(deps, asAdele, ['t2', 't3', 'nope'])).toEqual([
      { taskId: 't2', status: 'not-found' },
      { taskId: 't3', status: 'not-found' },
      { taskId: 'nope', status: 'not-found' },
    ]);
    expect(holds.held.get('t1')?.expiresAt).toBe(at(30));
  });

  it('a failing audit write leaves the keep in place (logged)', async () => {
    const { deps, holds, asAdele } = setUp(hold('t1'));
    const log = recordingLog();
    const failing = {
      ...deps,
      log,
      userActions: { write: () => Promise.reject(new Error('table down')), list: async () => [] },
    };
    expect(await keepLonger(failing, asAdele, ['t1'])).toEqual([{ taskId: 't1', status: 'kept', expiresAt: at(90) }]);
    expect(holds.held.get('t1')?.expiresAt).toBe(at(90));
    expect(log.events.map((e) => e.event)).toContain('user-action.not-recorded');
  });
});

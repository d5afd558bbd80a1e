import { GraphError } from '@microsoft/microsoft-graph-client';
import type { Printer } from '../../../src/graph/print-schemas';
import { printerKinds } from '../../../src/graph/printer-kinds';
import { failSafeDecision, FAIL_SAFE_REASONS } from '../../../src/processor/fail-safe';
import {
  onPullQueue,
  PULL_QUEUE_HOLD_MINUTES,
  PULL_QUEUE_KEEP_LONGER_UP_TO_MINUTES,
} from '../../../src/processor/process-task';

function api(printers: Record<string, Partial<Printer>>) {
  const calls: string[] = [];
  let failNext: Error | undefined;
  return {
    calls,
    fail: (error: Error) => (failNext = error),
    getPrinter: async (id: string) => {
      calls.push(id);
      if (failNext) {
        const error = failNext;
        failNext = undefined;
        throw error;
      }
      return { id, ...printers[id] } as Printer;
    },
  };
}

describe('printer kinds (is it a pull queue?)', () => {
  it('reads a printer once, keeps the answer for a while, and reads it again after', async () => {
    let now = 0;
    const kinds = printerKinds({ ttlMs: 1000, now: () => now });
    const graph = api({ pq: { hasPhysicalDevice: false }, lib: { hasPhysicalDevice: true } });
    expect(await kinds.isPullQueue('pq', graph)).toBe(true);
    expect(await kinds.isPullQueue('PQ', graph)).toBe(true);
    expect(await kinds.isPullQueue('lib', graph)).toBe(false);
    expect(graph.calls).toEqual(['pq', 'lib']);
    now = 1001;
    await kinds.isPullQueue('pq', graph);
    expect(graph.calls).toEqual(['pq', 'lib', 'pq']);
  });

  it('never keeps a failure, and a printer read elsewhere is remembered', async () => {
    const kinds = printerKinds();
    const graph = api({ pq: { hasPhysicalDevice: false } });
    graph.fail(new Error('503'));
    await expect(kinds.isPullQueue('pq', graph)).rejects.toThrow('503');
    expect(kinds.known('pq')).toBeUndefined();
    expect(await kinds.isPullQueue('pq', graph)).toBe(true);
    kinds.remember({ id: 'other', hasPhysicalDevice: true });
    expect(kinds.known('other')).toBe(false);
  });

  it('keeps the name of a printer it read (for the audit record), for as long as its kind', async () => {
    let now = 0;
    const kinds = printerKinds({ ttlMs: 1000, now: () => now });
    const graph = api({ lib: { hasPhysicalDevice: true, displayName: 'School Library' } });
    expect(kinds.name('lib')).toBeUndefined();
    await kinds.isPullQueue('lib', graph);
    expect(kinds.name('LIB')).toBe('School Library');
    kinds.remember({ id: 'pq', hasPhysicalDevice: false, displayName: 'Follow-me' });
    expect(kinds.name('pq')).toBe('Follow-me');
    now = 1001;
    expect(kinds.name('lib')).toBeUndefined();
  });
});

describe('decisions on a pull queue', () => {
  it('a release becomes a hold for the owner, with the changes kept for the release; no owner: denied', () => {
    expect(onPullQueue({ action: 'release', rule: 'r' }, 'a@x').decision).toEqual({
      action: 'hold',
      rule: 'r',
      expiresInMinutes: PULL_QUEUE_HOLD_MINUTES,
      keepLongerUpToMinutes: PULL_QUEUE_KEEP_LONGER_UP_TO_MINUTES,
      onExpiry: 'deny',
      reason: expect.any(String),
    });
    expect(
      onPullQueue({ action: 'release-with-changes', rule: 'r', changes: { copies: 1 } }, 'a@x').decision,
    ).toMatchObject({ action: 'hold', configuration: { copies: 1 } });
    expect(onPullQueue({ action: 'release', rule: 'r' }, undefined).decision).toMatchObject({ action: 'deny' });
    const hold = { action: 'hold', rule: 'h', expiresInMinutes: 5, onExpiry: 'release' } as const;
    expect(onPullQueue(hold, 'a@x').decision).toBe(hold);
  });

  it('the fail-safe: never releases what the policy meant to deny or hold, never completes a pull queue in place', async () => {
    const physical = async () => false;
    const pull = async () => true;
    const unreadable = async () => {
      throw Object.assign(new Error('forbidden'), {});
    };
    expect(await failSafeDecision(undefined, 'release', physical)).toEqual({ action: 'release', rule: 'fail-safe' });
    expect(await failSafeDecision(undefined, 'release', pull)).toMatchObject({
      action: 'deny',
      reason: FAIL_SAFE_REASONS.pullQueue,
    });
    expect(await failSafeDecision(undefined, 'deny', physical)).toMatchObject({ action: 'deny' });
    // A job the policy let print only with changes is never printed without them.
    const withChanges = { action: 'release-with-changes', rule: 'c', changes: { colorMode: 'grayscale' } } as const;
    expect(await failSafeDecision(withChanges, 'release', physical)).toEqual({
      action: 'deny',
      rule: 'fail-safe',
      reason: FAIL_SAFE_REASONS.changes,
    });
    expect(await failSafeDecision({ action: 'deny', rule: 'd', reason: 'No.' }, 'release', physical)).toMatchObject({
      action: 'deny',
      reason: 'No.',
    });
    expect(
      await failSafeDecision(
        { action: 'hold', rule: 'h', expiresInMinutes: 1, onExpiry: 'release' },
        'release',
        physical,
      ),
    ).toMatchObject({ action: 'deny' });
    // A printer Graph refuses to show for good counts as a pull queue (fail closed) …
    const refused = async () => {
      throw new GraphError(403, 'Forbidden');
    };
    expect(await failSafeDecision(undefined, 'release', refused)).toMatchObject({ action: 'deny' });
    // … a plain error is transient (network): retried, not turned into a decision.
    await expect(failSafeDecision(undefined, 'release', unreadable)).rejects.toThrow('forbidden');
  });
});

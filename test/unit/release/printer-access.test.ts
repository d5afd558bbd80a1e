import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { createLog } from '../../../src/observability/log';
import { PrinterAccessUnavailable, printerAccess } from '../../../src/release/printer-access';

const P1 = '9f8e7d6c-0000-4000-8000-000000000001';
const P2 = '9f8e7d6c-0000-4000-8000-000000000002';
const S1 = '5a5a5a5a-0000-4000-8000-000000000001';
const S2 = '5a5a5a5a-0000-4000-8000-000000000002';
const GROUP = '6c8a2f0e-0000-4000-8000-00000000a001';
const USER = { objectId: '0b1c2d3e-0000-4000-8000-000000000002' };

/** Graph as the user, answering from a table of paths (the transport, not the module under test). */
function fakeGraph(answers: Record<string, unknown>) {
  const calls: string[] = [];
  const client = {
    api(path: string) {
      const request = {
        select: () => request,
        get: async () => {
          calls.push(path);
          const answer = answers[path];
          if (answer === undefined) throw new GraphError(404, `no ${path}`);
          return typeof answer === 'function' ? (answer as () => unknown)() : answer;
        },
      };
      return request;
    },
  } as unknown as Client;
  return { client, calls };
}

describe('printer access (share access as the user)', () => {
  const lines: string[] = [];
  const log = createLog({
    info: (l: string) => lines.push(l),
    warn: (l: string) => lines.push(l),
    error: (l: string) => lines.push(l),
  });
  let clock = 0;

  it('allows a printer shared with everyone, with the user, or with a group they are in; not an unshared one', async () => {
    const { client } = fakeGraph({
      [`/print/printers/${P1}/shares`]: { value: [{ id: S1 }] },
      [`/print/shares/${S1}`]: { allowAllUsers: false },
      [`/print/shares/${S1}/allowedUsers`]: { value: [] },
      [`/print/shares/${S1}/allowedGroups`]: { value: [{ id: GROUP }] },
      [`/print/printers/${P2}/shares`]: { value: [] },
    });
    const memberOf = jest.fn(async (_user: string, groups: readonly string[]) => new Set(groups));
    const check = printerAccess({ graphAsUser: async () => client, memberOf, log, now: () => clock });
    expect(await check(USER, 't', [P1, P2])).toEqual(new Set([P1]));
    expect(memberOf).toHaveBeenCalledWith(USER.objectId, [GROUP]);
  });

  it('keeps answers for a minute, then asks again; a missing permission is not kept and allows nothing', async () => {
    let forbidden = true;
    const { client, calls } = fakeGraph({
      [`/print/printers/${P1}/shares`]: () => {
        if (forbidden) throw new GraphError(403, 'needs PrinterShare.Read.All');
        return { value: [{ id: S2 }] };
      },
      [`/print/shares/${S2}`]: { allowAllUsers: true },
    });
    const check = printerAccess({
      graphAsUser: async () => client,
      memberOf: async () => new Set(),
      log,
      now: () => clock,
    });
    expect(await check(USER, 't', [P1])).toEqual(new Set());
    expect(lines.some((l) => l.includes('release.share-access-forbidden'))).toBe(true);
    forbidden = false;
    expect(await check(USER, 't', [P1])).toEqual(new Set([P1])); // the refusal was not remembered
    const asked = calls.length;
    clock += 59_000;
    expect(await check(USER, 't', [P1])).toEqual(new Set([P1]));
    expect(calls.length).toBe(asked);
    clock += 2_000;
    await check(USER, 't', [P1]);
    expect(calls.length).toBeGreaterThan(asked);
  });

  it('a throttled or failed look-up throws (a 503 for the caller), never allows', async () => {
    const { client } = fakeGraph({
      [`/print/printers/${P1}/shares`]: () => {
        throw new GraphError(429, 'slow down');
      },
    });
    const check = printerAccess({ graphAsUser: async () => client, memberOf: async () => new Set(), log });
    await expect(check(USER, 't', [P1])).rejects.toThrow(PrinterAccessUnavailable);
    const signInFails = printerAccess({
      graphAsUser: async () => {
        throw new Error('AADSTS65001 consent');
      },
      memberOf: async () => new Set(),
      log,
    });
    await expect(signInFails(USER, 't', [P1])).rejects.toThrow(PrinterAccessUnavailable);
  });
});

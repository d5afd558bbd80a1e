import type { PrintApi } from '../../../src/graph/print-api';
import type { Printer } from '../../../src/graph/print-schemas';
import { releasePrinterDirectory } from '../../../src/release/release-printers';

/** A PrintApi with just the two reads the directory makes, counting calls. */
function printApi(printers: Printer[]) {
  const calls: string[] = [];
  const api = {
    async getPrinter(id: string) {
      calls.push(`get ${id}`);
      const printer = printers.find((p) => p.id === id);
      if (!printer) throw new Error(`printer ${id} not found`);
      return printer;
    },
    async listPrinters() {
      calls.push('list');
      return printers;
    },
  } as unknown as PrintApi;
  return { api, calls };
}

const printers: Printer[] = [
  { id: 'p2', displayName: 'Library', location: { site: 'School', floor: '0', roomName: 'L1', latitude: 5 } },
  { id: 'p1', displayName: 'Atrium', location: null },
  { id: 'pq', displayName: 'Pull queue', hasPhysicalDevice: false },
];

describe('release printers for the page', () => {
  it('without declared printers: every physical printer, by name, with only the useful parts of its location', async () => {
    const { api } = printApi(printers);
    const list = await releasePrinterDirectory({ api: async () => api })();
    expect(list).toEqual([
      { id: 'p1', displayName: 'Atrium' },
      { id: 'p2', displayName: 'Library', location: { site: 'School', floor: '0', room: 'L1' } },
    ]);
  });

  it('with declared printers: those, skipping one Graph cannot find (and saying so)', async () => {
    const { api } = printApi(printers);
    const warnings: unknown[] = [];
    const log = { warn: (...args: unknown[]) => warnings.push(args) } as never;
    const list = await releasePrinterDirectory({ api: async () => api, declared: ['p2', 'gone'], log })();
    expect(list.map((p) => p.id)).toEqual(['p2']);
    expect(warnings).toHaveLength(1);
  });

  it('with declared printers: a declared pull queue is not offered (nothing comes out of it), and the admin is told', async () => {
    const { api } = printApi(printers);
    const warnings: unknown[][] = [];
    const log = { warn: (...args: unknown[]) => warnings.push(args) } as never;
    const list = await releasePrinterDirectory({ api: async () => api, declared: ['p1', 'pq'], log })();
    expect(list.map((p) => p.id)).toEqual(['p1']);
    expect(warnings).toEqual([['release.printer-is-pull-queue', { printerId: 'pq' }]]);
  });

  it('reads Graph once per five minutes, and again after a failure', async () => {
    const { api, calls } = printApi(printers);
    let now = 0;
    let fail = true;
    const directory = releasePrinterDirectory({
      api: async () => {
        if (fail) throw new Error('Graph is down');
        return api;
      },
      now: () => now,
    });
    await expect(directory()).rejects.toThrow('Graph is down');
    fail = false;
    await directory();
    await directory();
    expect(calls).toEqual(['list']);
    now += 5 * 60_000 + 1;
    await directory();
    expect(calls).toEqual(['list', 'list']);
  });
});

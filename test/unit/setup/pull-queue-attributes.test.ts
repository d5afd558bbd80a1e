import type { PrintApi } from '../../../src/graph/print-api';
import type { Printer } from '../../../src/graph/print-schemas';
import { decodePrinterAttributesGroup } from '../../../src/setup/ipp-attribute-group';
import {
  attributeDifferences,
  attributesHint,
  ensurePullQueueAttributes,
} from '../../../src/setup/pull-queue-attributes';
import { GraphError } from '@microsoft/microsoft-graph-client';

const SET: Partial<Printer> = {
  isAcceptingJobs: true,
  capabilities: {
    contentTypes: ['application/pdf', 'application/oxps', 'image/pwg-raster'],
    copiesPerJob: { start: 1, end: 999 },
    dpis: [600],
  },
  defaults: { contentType: 'application/pdf' },
};

/** Graph's side: a printer whose JSON shows the attributes once an IPP update arrived (or never, if `ignores`). */
function graph(initial: Partial<Printer>, options: { ignores?: boolean } = {}) {
  let printer: Printer = { id: 'p1', hasPhysicalDevice: false, ...initial };
  const updates: Buffer[] = [];
  const api: Pick<PrintApi, 'getPrinter' | 'updatePrinterAttributes'> = {
    getPrinter: async () => structuredClone(printer),
    updatePrinterAttributes: async (_id, group) => {
      updates.push(group);
      if (!options.ignores) printer = { ...printer, ...SET };
    },
  };
  return { api, updates };
}

describe('pull queue printer attributes', () => {
  it('a new virtual printer (isAcceptingJobs null, no capabilities) differs; one with ours does not', () => {
    expect(attributeDifferences({ id: 'p', isAcceptingJobs: null })).toEqual([
      'isAcceptingJobs is null',
      'capabilities.contentTypes lacks application/pdf, application/oxps, image/pwg-raster',
      'defaults.contentType is undefined',
      'capabilities.copiesPerJob is null',
      'capabilities.dpis lacks 600',
    ]);
    expect(attributeDifferences({ id: 'p', ...SET })).toEqual([]);
  });

  it('writes the IPP group once, reads it back, and a second run changes nothing', async () => {
    const { api, updates } = graph({ isAcceptingJobs: null });
    expect(await ensurePullQueueAttributes(api, 'p1')).toMatchObject({ state: 'set' });
    expect(updates).toHaveLength(1);
    expect(decodePrinterAttributesGroup(updates[0]!)['printer-is-accepting-jobs']).toBe(true);
    expect(await ensurePullQueueAttributes(api, 'p1')).toEqual({ state: 'unchanged' });
    expect(updates).toHaveLength(1);
  });

  it('a dry run says what differs and writes nothing', async () => {
    const { api, updates } = graph({ isAcceptingJobs: null });
    expect(await ensurePullQueueAttributes(api, 'p1', { dryRun: true })).toMatchObject({
      state: 'would-set',
      differences: expect.arrayContaining(['isAcceptingJobs is null']),
    });
    expect(updates).toEqual([]);
  });

  it('fails when Graph accepts the update but does not show it, and never writes a printer with a device', async () => {
    await expect(ensurePullQueueAttributes(graph({}, { ignores: true }).api, 'p1')).rejects.toThrow(
      /accepted the attributes of printer p1 but does not show them/,
    );
    const physical = graph({ hasPhysicalDevice: true });
    await expect(ensurePullQueueAttributes(physical.api, 'p1')).rejects.toThrow(/has a device behind it/);
    expect(physical.updates).toEqual([]);
  });

  it('explains a 403: the application permission, its opt-in, and the registering-app rule', () => {
    const hint = attributesHint(new GraphError(403, 'Forbidden'));
    expect(hint).toMatch(/application permission Printer\.ReadWrite\.All/);
    expect(hint).toMatch(/RELEASE_GATE_ALLOW_PULL_QUEUE_SETUP/);
    expect(hint).toMatch(/only the app that registered the printer may update it/);
    expect(attributesHint(new Error('boom'))).toBe('boom');
  });
});

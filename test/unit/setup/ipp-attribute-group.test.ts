import { decodePrinterAttributesGroup, encodePrinterAttributesGroup } from '../../../src/setup/ipp-attribute-group';
import { PULL_QUEUE_ATTRIBUTES } from '../../../src/setup/pull-queue-attributes';
import { REQUIRED_PRINTER_ATTRIBUTES } from '../../../sandbox/simulator/printer-attributes';

/** The body of an IPP printer update: the printer attributes group alone (printer-update.md, RFC 8010). */
describe('IPP printer attributes group', () => {
  const group = encodePrinterAttributesGroup(PULL_QUEUE_ATTRIBUTES);

  it('is the group alone: tag 0x04 first, no message header, no operation attributes, no end tag', () => {
    expect(group[0]).toBe(0x04);
    // The first attribute follows the tag directly: value tag, name length, name.
    const nameLength = group.readUInt16BE(2);
    expect(group.subarray(4, 4 + nameLength).toString()).toBe(Object.keys(PULL_QUEUE_ATTRIBUTES)[0]);
    expect(group[group.length - 1]).not.toBe(0x03);
  });

  it('round-trips every attribute, with ranges, resolutions, enums and collections', () => {
    const decoded = decodePrinterAttributesGroup(group);
    expect(Object.keys(decoded).sort()).toEqual(Object.keys(PULL_QUEUE_ATTRIBUTES).sort());
    expect(decoded).toMatchObject({
      'copies-supported': [1, 999],
      'printer-resolution-default': [600, 600, 'dpi'],
      'orientation-requested-default': 'portrait',
      'print-quality-supported': ['draft', 'normal', 'high'],
      'print-scaling-default': 'auto',
      'media-col-default': { 'media-size': { 'x-dimension': 21000, 'y-dimension': 29700 } },
    });
    expect(decoded['media-col-database']).toHaveLength(2);
  });

  it('carries every attribute the simulator requires of a printer that Windows clients print to', () => {
    for (const name of REQUIRED_PRINTER_ATTRIBUTES) expect(Object.keys(PULL_QUEUE_ATTRIBUTES)).toContain(name);
  });

  it('refuses to send less than asked when the encoder has no syntax for an attribute', () => {
    expect(() => encodePrinterAttributesGroup({ 'x-not-an-ipp-attribute': 'value' })).toThrow(
      /no syntax for x-not-an-ipp-attribute/,
    );
  });

  it('decodes only a bare printer attributes group', () => {
    const header = Buffer.from([2, 0, 0, 0x13, 0, 0, 0, 1]);
    expect(() => decodePrinterAttributesGroup(Buffer.concat([header, group]))).toThrow(/group tag \(0x04\)/);
    expect(() => decodePrinterAttributesGroup(Buffer.concat([group, Buffer.from([3])]))).toThrow(
      /no end-of-attributes/,
    );
    const operation = Buffer.concat([
      Buffer.from([0x01, 0x47, 0, 18]),
      Buffer.from('attributes-charset'),
      Buffer.from([0, 5]),
      Buffer.from('utf-8'),
    ]);
    expect(() => decodePrinterAttributesGroup(Buffer.concat([group, operation]))).toThrow(
      /only the printer attributes group/,
    );
  });
});

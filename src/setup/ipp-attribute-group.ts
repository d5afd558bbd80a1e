import { attributes, parse, serialize, type IppValue } from '@sealsystems/ipp';

/**
 * The body of an IPP printer update (`PATCH /print/printers/{id}`, `Content-Type: application/ipp`): the
 * Printer Attributes group alone, IPP-encoded (RFC 8010): the begin-attribute-group tag 0x04 and its attributes,
 * with no message header, no operation attributes and no end-of-attributes tag, as Graph's printer-update page
 * and Microsoft's sample send it. The library encodes whole messages, so the group is cut out of one.
 */
export type PrinterAttributes = Record<string, IppValue>;

const PRINTER_ATTRIBUTES_TAG = 0x04;
const END_OF_ATTRIBUTES_TAG = 0x03;
/** version-number (2) + operation-id (2) + request-id (4). */
const HEADER_BYTES = 8;

/**
 * The library's tables predate PWG 5100.13 (print-scaling, document-format-preferred) and leave the members of
 * media-col-database as a to-do; without a syntax it drops an attribute silently. These are added from the
 * library's own descriptors of the same syntax, once; `encodePrinterAttributesGroup` still checks nothing is lost.
 */
function completeSyntaxTables(): void {
  const printer = attributes['Printer Description']!;
  const copy = (name: string) => structuredClone(printer[name]!);
  printer['print-scaling-supported'] ??= copy('sides-supported'); // 1setOf keyword
  printer['print-scaling-default'] ??= copy('sides-default'); // keyword
  printer['document-format-preferred'] ??= copy('document-format-default'); // mimeMediaType
  const database = printer['media-col-database']!;
  database.members = { ...attributes['Job Template']!['media-col']!.members, ...database.members };
  const defaults = printer['media-col-default']!;
  if (typeof defaults === 'object') defaults.members = { ...database.members, ...defaults.members };
}
completeSyntaxTables();

export function encodePrinterAttributesGroup(printerAttributes: PrinterAttributes): Buffer {
  const message = serialize({
    operation: 'Set-Printer-Attributes',
    id: 1,
    'printer-attributes-tag': printerAttributes,
  });
  if (message[HEADER_BYTES] !== PRINTER_ATTRIBUTES_TAG || message[message.length - 1] !== END_OF_ATTRIBUTES_TAG)
    throw new Error('The IPP encoder did not produce one printer attributes group');
  const group = message.subarray(HEADER_BYTES, message.length - 1);
  // The encoder skips what it has no syntax for: refuse to send less than asked.
  const encoded = decodePrinterAttributesGroup(group);
  const lost = Object.keys(printerAttributes).filter((name) => !(name in encoded));
  if (lost.length) throw new Error(`The IPP encoder has no syntax for ${lost.join(', ')}`);
  return group;
}

/** The inverse, for checks and for the simulator: refuses anything but one printer attributes group. */
export function decodePrinterAttributesGroup(group: Buffer): PrinterAttributes {
  if (group[0] !== PRINTER_ATTRIBUTES_TAG)
    throw new Error(
      'The body must start with the printer attributes group tag (0x04): no header, no operation attributes',
    );
  const message = parse(
    Buffer.concat([Buffer.from([2, 0, 0, 0x13, 0, 0, 0, 1]), group, Buffer.from([END_OF_ATTRIBUTES_TAG])]),
  );
  if (message.data) throw new Error('The body must end with the group: no end-of-attributes tag, no data');
  const groups = Object.keys(message).filter((key) => key.endsWith('-tag'));
  if (groups.length !== 1 || groups[0] !== 'printer-attributes-tag')
    throw new Error(`The body must hold only the printer attributes group, not ${groups.join(', ')}`);
  return message['printer-attributes-tag'] ?? {};
}

import type { IppValue } from '@sealsystems/ipp';
import { decodePrinterAttributesGroup } from '../../src/setup/ipp-attribute-group';
import { badRequest } from './errors';
import type { SimPrinter } from './model';

/**
 * A virtual printer's attributes as Universal Print takes them (printer-update.md, application token):
 * the IPP Printer Attributes group alone, with the attributes Windows clients need. Mopria's mandatory list
 * is for members only; the simulator requires the attributes Microsoft's sample sends after registration
 * (the Mopria 2.0 set, by its comment), less cosmetic ones, so a printer left short of them fails here.
 * Graph then shows them as JSON `capabilities` and `defaults` (the mapping below is the simulator's reading
 * of the printerCapabilities/printerDefaults docs: IPP keywords to Graph's enum values).
 */
export const REQUIRED_PRINTER_ATTRIBUTES = [
  'printer-make-and-model',
  'ipp-versions-supported',
  'printer-is-accepting-jobs',
  'document-format-supported',
  'document-format-default',
  'copies-supported',
  'copies-default',
  'sides-supported',
  'sides-default',
  'color-supported',
  'print-color-mode-supported',
  'print-color-mode-default',
  'printer-resolution-supported',
  'printer-resolution-default',
  'print-quality-supported',
  'print-quality-default',
  'orientation-requested-default',
  'finishings-supported',
  'finishings-default',
  'output-bin-supported',
  'output-bin-default',
  'media-supported',
  'media-default',
  'media-type-supported',
  'media-col-default',
  'media-col-database',
  'print-scaling-supported',
  'print-scaling-default',
] as const;

const many = (value: IppValue | undefined): IppValue[] =>
  value === undefined ? [] : Array.isArray(value) && !isTuple(value) ? value : [value];
/** A range [low, high] or a resolution [x, y, unit] is one value, not a set. */
const isTuple = (value: IppValue[]) => typeof value[0] === 'number';

const SIDES: Record<string, string> = {
  'one-sided': 'oneSided',
  'two-sided-long-edge': 'flipOnLongEdge',
  'two-sided-short-edge': 'flipOnShortEdge',
};
const COLOR: Record<string, string> = {
  monochrome: 'grayscale',
  'bi-level': 'blackAndWhite',
  color: 'color',
  auto: 'auto',
};
const QUALITY: Record<string, string> = { draft: 'low', normal: 'medium', high: 'high' };
const ORIENTATION: Record<string, string> = {
  portrait: 'portrait',
  landscape: 'landscape',
  'reverse-landscape': 'reverseLandscape',
  'reverse-portrait': 'reversePortrait',
};
const MEDIA: Record<string, string> = {
  iso_a4_210x297mm: 'A4',
  iso_a3_297x420mm: 'A3',
  iso_a5_148x210mm: 'A5',
  'na_letter_8.5x11in': 'North America Letter',
  'na_legal_8.5x14in': 'North America Legal',
};
const mapped = (table: Record<string, string>, value: IppValue) => table[String(value)] ?? String(value);

/** Parses and checks an IPP update; returns what Graph would then show. Throws 400 on a malformed or short body. */
export function applyIppUpdate(printer: SimPrinter, body: Buffer): void {
  let attributes: Record<string, IppValue>;
  try {
    attributes = decodePrinterAttributesGroup(body);
  } catch (error) {
    throw badRequest(`The IPP payload is not a printer attributes group: ${(error as Error).message}`);
  }
  const missing = REQUIRED_PRINTER_ATTRIBUTES.filter((name) => attributes[name] === undefined);
  if (missing.length) throw badRequest(`The printer attributes lack what clients need: ${missing.join(', ')}.`);
  const [copiesLow, copiesHigh] = attributes['copies-supported'] as [number, number];
  const resolutions = many(attributes['printer-resolution-supported']) as [number, number, string][];
  const [defaultResolution] = many(attributes['printer-resolution-default']) as [number, number, string][];
  printer.capabilities = {
    contentTypes: many(attributes['document-format-supported']).map(String),
    copiesPerJob: { start: copiesLow, end: copiesHigh },
    duplexModes: many(attributes['sides-supported']).map((v) => mapped(SIDES, v)),
    colorModes: many(attributes['print-color-mode-supported']).map((v) => mapped(COLOR, v)),
    isColorPrintingSupported: attributes['color-supported'] === true,
    dpis: resolutions.map(([x]) => x),
    qualities: many(attributes['print-quality-supported']).map((v) => mapped(QUALITY, v)),
    orientations: many(attributes['orientation-requested-supported']).map((v) => mapped(ORIENTATION, v)),
    mediaSizes: many(attributes['media-supported']).map((v) => mapped(MEDIA, v)),
    mediaTypes: many(attributes['media-type-supported']).map(String),
    finishings: many(attributes['finishings-supported']).map(String),
    outputBins: many(attributes['output-bin-supported']).map(String),
    scalings: many(attributes['print-scaling-supported']).map(String),
  };
  printer.defaults = {
    contentType: String(attributes['document-format-default']),
    copiesPerJob: attributes['copies-default'],
    duplexMode: mapped(SIDES, attributes['sides-default']!),
    colorMode: mapped(COLOR, attributes['print-color-mode-default']!),
    dpi: defaultResolution?.[0],
    quality: mapped(QUALITY, attributes['print-quality-default']!),
    orientation: mapped(ORIENTATION, attributes['orientation-requested-default']!),
    mediaSize: mapped(MEDIA, attributes['media-default']!),
    finishings: many(attributes['finishings-default']).map(String),
    outputBin: String(attributes['output-bin-default']),
    scaling: String(attributes['print-scaling-default']),
  };
  printer.isAcceptingJobs = attributes['printer-is-accepting-jobs'] === true;
  printer.status = { state: 'idle', details: [], description: '' };
}

/** The JSON an application token may PATCH (printer-update.md, "Application permissions and JSON payload"). */
export function applyJsonUpdate(printer: SimPrinter, input: Record<string, unknown>, application: boolean): void {
  const allowed = application
    ? ['defaults', 'capabilities', 'displayName', 'manufacturer', 'model', 'status', 'isAcceptingJobs']
    : ['defaults', 'location', 'displayName'];
  const refused = Object.keys(input).filter((key) => !allowed.includes(key));
  if (refused.length) throw badRequest(`These printer properties cannot be updated this way: ${refused.join(', ')}.`);
  if (typeof input.displayName === 'string') printer.displayName = input.displayName;
  if (input.defaults && typeof input.defaults === 'object')
    printer.defaults = { ...printer.defaults, ...(input.defaults as Record<string, unknown>) };
  if (input.capabilities && typeof input.capabilities === 'object')
    printer.capabilities = { ...printer.capabilities, ...(input.capabilities as Record<string, unknown>) };
  if (input.location && typeof input.location === 'object')
    printer.location = { ...printer.location, ...(input.location as SimPrinter['location']) };
  if (typeof input.isAcceptingJobs === 'boolean') printer.isAcceptingJobs = input.isAcceptingJobs;
  if (input.status && typeof input.status === 'object')
    printer.status = input.status as NonNullable<SimPrinter['status']>;
}

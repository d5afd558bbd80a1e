import { classifyGraphError } from '../graph/graph-errors';
import type { PrintApi } from '../graph/print-api';
import type { Printer } from '../graph/print-schemas';
import { encodePrinterAttributesGroup, type PrinterAttributes } from './ipp-attribute-group';
import { errorText } from '../observability/log';

/**
 * Step 3 of Graph's pull-printing flow: a newly registered virtual printer has no attributes (status unknown,
 * not accepting jobs) until the app that registered it writes them, with an application token
 * (Printer.ReadWrite.All) and `Content-Type: application/ipp` (printer-update.md). Windows clients need the
 * attributes Mopria marks mandatory; Mopria's list is for its members, so we send the set Microsoft's own sample
 * sends after registration (its comment: the Mopria 2.0 required attributes), with a pull queue's values:
 * the formats Windows submits, A4 and Letter, one- and two-sided, colour and monochrome. Users choose the real
 * printer at release; redirect carries their configuration there.
 */
const A4 = { 'x-dimension': 21000, 'y-dimension': 29700 };
const LETTER = { 'x-dimension': 21590, 'y-dimension': 27940 };

export const PULL_QUEUE_ATTRIBUTES: Readonly<PrinterAttributes> = {
  'printer-make-and-model': 'Release Gate Pull queue',
  'ipp-versions-supported': ['1.1', '2.0'],
  'generated-natural-language-supported': ['en'],
  'printer-is-accepting-jobs': true,
  'document-format-supported': ['application/pdf', 'application/oxps', 'image/pwg-raster'],
  'document-format-default': 'application/pdf',
  'document-format-preferred': 'application/pdf',
  'pdl-override-supported': 'attempted',
  'copies-supported': [[1, 999]],
  'copies-default': 1,
  'sides-supported': ['one-sided', 'two-sided-long-edge', 'two-sided-short-edge'],
  'sides-default': 'one-sided',
  'color-supported': true,
  'print-color-mode-supported': ['auto', 'monochrome', 'color'],
  'print-color-mode-default': 'auto',
  'printer-resolution-supported': [[600, 600, 'dpi']],
  'printer-resolution-default': [[600, 600, 'dpi']],
  'print-quality-supported': ['draft', 'normal', 'high'],
  'print-quality-default': 'normal',
  'orientation-requested-supported': ['portrait', 'landscape'],
  'orientation-requested-default': 'portrait',
  'finishings-supported': ['none'],
  'finishings-default': 'none',
  'output-bin-supported': ['face-down'],
  'output-bin-default': 'face-down',
  'multiple-document-handling-supported': ['separate-documents-collated-copies'],
  'print-scaling-supported': ['auto', 'fit', 'fill', 'none'],
  'print-scaling-default': 'auto',
  'media-supported': ['iso_a4_210x297mm', 'na_letter_8.5x11in'],
  'media-default': 'iso_a4_210x297mm',
  'media-type-supported': ['stationery'],
  'media-source-supported': ['auto'],
  'media-col-supported': ['media-size', 'media-type', 'media-source'],
  'media-col-default': { 'media-size': A4, 'media-type': 'stationery', 'media-source': 'auto' },
  'media-col-database': [
    { 'media-size': A4, 'media-type': 'stationery', 'media-source': 'auto' },
    { 'media-size': LETTER, 'media-type': 'stationery', 'media-source': 'auto' },
  ],
};

/**
 * What Graph shows of our attributes that differs from them (empty: in place). Graph returns a printer's
 * attributes as JSON (`capabilities`, `defaults`, `isAcceptingJobs`); only fields whose mapping from IPP is
 * unambiguous are compared (MIME types, copies, resolution): enough to tell "never set" from "set".
 */
export function attributeDifferences(printer: Printer): string[] {
  const capabilities = printer.capabilities ?? {};
  const defaults = printer.defaults ?? {};
  const differences: string[] = [];
  if (printer.isAcceptingJobs !== true) differences.push(`isAcceptingJobs is ${String(printer.isAcceptingJobs)}`);
  const formats = PULL_QUEUE_ATTRIBUTES['document-format-supported'] as string[];
  const contentTypes = (capabilities.contentTypes ?? []).map((t) => t.toLowerCase());
  const missing = formats.filter((f) => !contentTypes.includes(f.toLowerCase()));
  if (missing.length) differences.push(`capabilities.contentTypes lacks ${missing.join(', ')}`);
  if (defaults.contentType !== PULL_QUEUE_ATTRIBUTES['document-format-default'])
    differences.push(`defaults.contentType is ${String(defaults.contentType)}`);
  const [[low, high]] = PULL_QUEUE_ATTRIBUTES['copies-supported'] as [[number, number]];
  if (capabilities.copiesPerJob?.start !== low || capabilities.copiesPerJob?.end !== high)
    differences.push(`capabilities.copiesPerJob is ${JSON.stringify(capabilities.copiesPerJob ?? null)}`);
  if (!(capabilities.dpis ?? []).includes(600)) differences.push('capabilities.dpis lacks 600');
  return differences;
}

export type AttributesOutcome = { state: 'unchanged' } | { state: 'set' | 'would-set'; differences: string[] };

/**
 * Writes our attributes to a pull queue unless Graph shows them already (idempotent), then reads them back.
 * `api` must hold an application token of the app that registered the printer.
 */
export async function ensurePullQueueAttributes(
  api: Pick<PrintApi, 'getPrinter' | 'updatePrinterAttributes'>,
  printerId: string,
  options: { dryRun?: boolean } = {},
): Promise<AttributesOutcome> {
  const printer = await api.getPrinter(printerId);
  const differences = attributeDifferences(printer);
  if (differences.length === 0) return { state: 'unchanged' };
  if (printer.hasPhysicalDevice)
    throw new Error(
      `Printer ${printerId} has a device behind it: Graph lets apps update only virtual printers. It keeps its own attributes.`,
    );
  if (options.dryRun) return { state: 'would-set', differences };
  await api.updatePrinterAttributes(printerId, encodePrinterAttributesGroup(PULL_QUEUE_ATTRIBUTES));
  const after = attributeDifferences(await api.getPrinter(printerId));
  if (after.length)
    throw new Error(
      `Graph accepted the attributes of printer ${printerId} but does not show them: ${after.join('; ')}`,
    );
  return { state: 'set', differences };
}

/** A refusal in terms the admin can act on. */
export function attributesHint(error: unknown): string {
  const failure = classifyGraphError(error);
  if (failure.kind !== 'forbidden') return errorText(error);
  return (
    `${failure.message}\nWriting a pull queue's printer attributes needs the application permission Printer.ReadWrite.All ` +
    '(opt-in: azd env set RELEASE_GATE_ALLOW_PULL_QUEUE_SETUP true && azd provision), and only the app that registered ' +
    "the printer may update it with application permissions: a queue registered through another app's registration " +
    'must be given its attributes by that app (or re-registered with npm run setup -- --pull-queue).'
  );
}

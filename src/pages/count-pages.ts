import { unzipSync } from 'fflate';
import { PDFDocument } from 'pdf-lib';

/**
 * Counts the pages of a print job's document, in memory, without Graph and without logging or
 * keeping any of its content. Universal Print hands jobs over as PDF, OXPS (or XPS) or PWG raster;
 * anything else, or a document that cannot be read soundly, is "unknown" with the reason, never a guess.
 */
export type PageCount = { count: number; from: 'document' } | { unknown: string };

/** The largest XML part of an XPS package we read (the .rels, sequence and document parts are small). */
const MAX_XPS_PART_BYTES = 8 * 1024 * 1024;

export async function countDocumentPages(bytes: Uint8Array): Promise<PageCount> {
  if (startsWith(bytes, '%PDF-')) return countPdfPages(bytes);
  if (startsWith(bytes, 'PK\u0003\u0004')) return countXpsPages(bytes);
  if (startsWith(bytes, 'RaS2')) return countPwgRasterPages(bytes);
  return { unknown: 'not a PDF, OXPS/XPS or PWG raster document (its first bytes match none of them)' };
}

function startsWith(bytes: Uint8Array, magic: string): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic.charCodeAt(i)) return false;
  return true;
}

const pages = (count: number): PageCount =>
  Number.isSafeInteger(count) && count > 0 ? { count, from: 'document' } : { unknown: `a page count of ${count}` };

async function countPdfPages(bytes: Uint8Array): Promise<PageCount> {
  try {
    // Loaded even when encrypted (pdf-lib's own encryption error loses its class when compiled), then refused:
    // an encrypted file's object streams cannot be read, so its page tree is not trusted.
    const document = await PDFDocument.load(bytes, {
      updateMetadata: false,
      throwOnInvalidObject: true,
      ignoreEncryption: true,
    });
    if (document.isEncrypted) return { unknown: 'the PDF is encrypted' };
    return pages(document.getPageCount());
  } catch {
    // pdf-lib's messages may quote bytes of the file: none of it is passed on.
    return { unknown: 'the PDF cannot be read (its structure is damaged or not supported)' };
  }
}

// --- OXPS / XPS: a zip whose fixed documents list one PageContent element per page ---

/** The package relationship to the FixedDocumentSequence, in XPS (2005) and OpenXPS (ECMA-388) spelling. */
const FIXED_REPRESENTATION = /\/(xps\/2005\/06|oxps\/v1\.0)\/fixedrepresentation$/;

/** A part of a user's package that cannot be named soundly: the pages are unknown, with the reason. */
class UnreadablePart extends Error {}

function countXpsPages(bytes: Uint8Array): PageCount {
  try {
    return countXpsParts(bytes);
  } catch (error) {
    if (error instanceof UnreadablePart) return { unknown: error.message };
    throw error;
  }
}

function countXpsParts(bytes: Uint8Array): PageCount {
  const notZip: PageCount = { unknown: 'the OXPS/XPS package is not a readable zip' };
  const rels = readXpsParts(bytes, ['_rels/.rels']);
  if (!rels) return notZip;
  const relsXml = rels.get('_rels/.rels');
  if (relsXml === undefined) return { unknown: 'the zip has no _rels/.rels: not an OXPS/XPS package' };
  const sequenceTarget = elements(relsXml, 'Relationship').find((a) => FIXED_REPRESENTATION.test(a.Type ?? ''))?.Target;
  if (!sequenceTarget) return { unknown: 'the package names no fixed document sequence' };
  const sequenceName = partName('', sequenceTarget);

  const sequence = readXpsParts(bytes, [sequenceName]);
  if (!sequence) return notZip;
  const sequenceXml = sequence.get(sequenceName.toLowerCase());
  if (sequenceXml === undefined)
    return { unknown: `the fixed document sequence ${sequenceName} is missing or too large` };
  const documentNames = elements(sequenceXml, 'DocumentReference').flatMap((a) =>
    a.Source ? [partName(sequenceName, a.Source)] : [],
  );
  if (documentNames.length === 0) return { unknown: 'the fixed document sequence lists no documents' };

  const documents = readXpsParts(bytes, documentNames);
  if (!documents) return notZip;
  let count = 0;
  for (const name of documentNames) {
    const fixedDocument = documents.get(name.toLowerCase());
    if (fixedDocument === undefined) return { unknown: `the fixed document ${name} is missing or too large` };
    count += elements(fixedDocument, 'PageContent').length;
  }
  return pages(count);
}

/**
 * Only the named parts are inflated (zip part names are case-insensitive in OPC), each at most
 * MAX_XPS_PART_BYTES: the pages, fonts and images are never unpacked. Undefined: not a readable zip.
 */
function readXpsParts(bytes: Uint8Array, names: string[]): Map<string, string> | undefined {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  try {
    const files = unzipSync(bytes, {
      filter: (file) => wanted.has(file.name.toLowerCase()) && file.originalSize <= MAX_XPS_PART_BYTES,
    });
    return new Map(Object.entries(files).map(([name, data]) => [name.toLowerCase(), new TextDecoder().decode(data)]));
  } catch {
    return undefined;
  }
}

/** A part's name inside the zip: absolute targets from the root, relative ones from the referring part's folder. */
function partName(from: string, target: string): string {
  const base = target.startsWith('/') ? [] : from.split('/').slice(0, -1);
  let decoded: string;
  try {
    decoded = decodeURI(target);
  } catch {
    // A malformed escape in a user's document: its pages are unknown, never a failure to retry.
    throw new UnreadablePart(`a part name in the document is not valid (${target.slice(0, 80)})`);
  }
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') base.pop();
    else base.push(segment);
  }
  return base.join('/');
}

/**
 * The attributes of each element with this local name (any namespace prefix). XPS's parts are
 * machine-written XML; `PageContent.LinkTargets` and other property elements do not match.
 */
function elements(xml: string, localName: string): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  const tag = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${localName}(?=[\\s/>])([^>]*)>`, 'g');
  for (const match of xml.matchAll(tag)) {
    const attrs: Record<string, string> = {};
    for (const attr of match[1]!.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g))
      attrs[attr[1]!] = attr[2] ?? attr[3] ?? '';
    found.push(attrs);
  }
  return found;
}

// --- PWG raster (PWG 5102.4): "RaS2", then per page a 1796-byte header and its compressed lines ---

const PWG_HEADER_BYTES = 1796;

function countPwgRasterPages(bytes: Uint8Array): PageCount {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 4;
  let count = 0;
  while (offset < bytes.length) {
    if (offset + PWG_HEADER_BYTES > bytes.length) return { unknown: `PWG raster page ${count + 1} is cut short` };
    if (!startsWith(bytes.subarray(offset), 'PwgRaster\u0000'))
      return { unknown: `PWG raster page ${count + 1} has no PwgRaster header` };
    const width = view.getUint32(offset + 372);
    const height = view.getUint32(offset + 376);
    const bitsPerPixel = view.getUint32(offset + 388);
    const bytesPerLine = view.getUint32(offset + 392);
    if (
      width === 0 ||
      height === 0 ||
      bitsPerPixel === 0 ||
      bitsPerPixel % 8 !== 0 ||
      bytesPerLine !== (width * bitsPerPixel) / 8
    )
      return { unknown: `PWG raster page ${count + 1} has an unsupported header` };
    const end = skipPwgLines(bytes, offset + PWG_HEADER_BYTES, width, height, bitsPerPixel / 8);
    if (end === undefined) return { unknown: `PWG raster page ${count + 1} has malformed image data` };
    offset = end;
    count++;
  }
  return pages(count);
}

/**
 * Walks one page's compressed lines (each: a repeat count, then runs of repeated or literal pixels
 * until the line is full) and returns where the next page starts, or undefined when the data breaks a rule.
 */
function skipPwgLines(bytes: Uint8Array, start: number, width: number, height: number, pixelBytes: number) {
  let offset = start;
  let rows = 0;
  while (rows < height) {
    if (offset >= bytes.length) return undefined;
    rows += bytes[offset++]! + 1;
    let pixels = 0;
    while (pixels < width) {
      if (offset >= bytes.length) return undefined;
      const control = bytes[offset++]!;
      const run = control < 128 ? control + 1 : 257 - control;
      offset += control < 128 ? pixelBytes : run * pixelBytes;
      pixels += run;
    }
    if (pixels !== width || offset > bytes.length) return undefined;
  }
  return rows === height ? offset : undefined;
}

import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { PDFDocument } from 'pdf-lib';
import { countDocumentPages } from '../../../src/pages/count-pages';

async function pdfOf(pageCount: number, useObjectStreams = true): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  for (let i = 0; i < pageCount; i++) document.addPage([200, 200]);
  return document.save({ useObjectStreams });
}

/** An OpenXPS package as printers receive it: .rels → sequence → documents → one PageContent per page. */
function oxpsOf(pagesPerDocument: number[], relType = 'http://schemas.openxps.org/oxps/v1.0/fixedrepresentation') {
  const files: Record<string, Uint8Array> = {
    '_rels/.rels': strToU8(
      `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
        `<Relationship Id="R0" Type="${relType}" Target="/FixedDocumentSequence.fdseq"/></Relationships>`,
    ),
    'FixedDocumentSequence.fdseq': strToU8(
      `<FixedDocumentSequence xmlns="http://schemas.openxps.org/oxps/v1.0">` +
        pagesPerDocument.map((_, d) => `<DocumentReference Source="Documents/${d + 1}/FixedDocument.fdoc"/>`).join('') +
        `</FixedDocumentSequence>`,
    ),
  };
  pagesPerDocument.forEach((count, d) => {
    files[`Documents/${d + 1}/FixedDocument.fdoc`] = strToU8(
      `<FixedDocument xmlns="http://schemas.openxps.org/oxps/v1.0">` +
        Array.from(
          { length: count },
          (_, p) =>
            `<PageContent Source="Pages/${p + 1}.fpage"><PageContent.LinkTargets><LinkTarget Name="p${p}"/></PageContent.LinkTargets></PageContent>`,
        ).join('') +
        `</FixedDocument>`,
    );
    for (let p = 0; p < count; p++) files[`Documents/${d + 1}/Pages/${p + 1}.fpage`] = strToU8('<FixedPage/>');
  });
  return zipSync(files);
}

/** PWG raster: 8-bit grey pages of width × height, each line one run of white. */
function pwgOf(pageCount: number, width = 10, height = 4): Uint8Array {
  const header = () => {
    const h = new Uint8Array(1796);
    h.set(strToU8('PwgRaster\u0000'));
    const view = new DataView(h.buffer);
    view.setUint32(372, width);
    view.setUint32(376, height);
    view.setUint32(384, 8);
    view.setUint32(388, 8);
    view.setUint32(392, width);
    return h;
  };
  // Two lines (repeat 1 = two rows each) per page of height 4: [repeat, control (width-1 repeats), pixel].
  const lines = new Uint8Array(Array.from({ length: height / 2 }, () => [1, width - 1, 0xff]).flat());
  const parts = [strToU8('RaS2'), ...Array.from({ length: pageCount }, () => [header(), lines]).flat()];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe('countDocumentPages', () => {
  it('counts the pages of a PDF', async () => {
    await expect(countDocumentPages(await pdfOf(3))).resolves.toEqual({ count: 3, from: 'document' });
  });

  it('says why a damaged PDF has no count', async () => {
    const bytes = await pdfOf(2);
    const result = await countDocumentPages(bytes.subarray(0, 40));
    expect(result).toEqual({ unknown: expect.stringMatching(/^the PDF cannot be read/) });
  });

  it('does not count an encrypted PDF', async () => {
    const text = new TextDecoder('latin1').decode(await pdfOf(1, false));
    expect(text).toContain('trailer\n<<');
    // An /Encrypt entry in the trailer is what marks a PDF encrypted.
    const encrypted = text.replace('trailer\n<<', 'trailer\n<<\n/Encrypt << /Filter /Standard /V 1 /R 2 >>');
    const result = await countDocumentPages(Uint8Array.from(encrypted, (c) => c.charCodeAt(0)));
    expect(result).toEqual({ unknown: 'the PDF is encrypted' });
  });

  it('counts the PageContent entries of every fixed document in an OXPS or XPS package', async () => {
    await expect(countDocumentPages(oxpsOf([2, 3]))).resolves.toEqual({ count: 5, from: 'document' });
    await expect(
      countDocumentPages(oxpsOf([4], 'http://schemas.microsoft.com/xps/2005/06/fixedrepresentation')),
    ).resolves.toEqual({ count: 4, from: 'document' });
  });

  it('says why a zip that is not an XPS package has no count', async () => {
    await expect(countDocumentPages(zipSync({ 'a.txt': strToU8('x') }))).resolves.toEqual({
      unknown: 'the zip has no _rels/.rels: not an OXPS/XPS package',
    });
    await expect(countDocumentPages(oxpsOf([1]).subarray(0, 30))).resolves.toEqual({
      unknown: 'the OXPS/XPS package is not a readable zip',
    });
  });

  it('says why a package whose part name has a malformed escape has no count (never a failure to retry)', async () => {
    const malformed = oxpsOf([1], 'http://schemas.openxps.org/oxps/v1.0/fixedrepresentation');
    const files = unzipSync(malformed);
    files['_rels/.rels'] = strToU8(
      strFromU8(files['_rels/.rels']!).replace('/FixedDocumentSequence.fdseq', '/%E0%A4%A'),
    );
    await expect(countDocumentPages(zipSync(files))).resolves.toEqual({
      unknown: 'a part name in the document is not valid (/%E0%A4%A)',
    });
  });

  it('counts the pages of PWG raster by walking each page header and its compressed lines', async () => {
    await expect(countDocumentPages(pwgOf(3))).resolves.toEqual({ count: 3, from: 'document' });
    const cut = pwgOf(2);
    await expect(countDocumentPages(cut.subarray(0, cut.length - 2))).resolves.toEqual({
      unknown: expect.stringMatching(/^PWG raster page 2/),
    });
  });

  it('does not guess at other formats', async () => {
    await expect(countDocumentPages(strToU8('%!PS-Adobe-3.0'))).resolves.toEqual({
      unknown: expect.stringMatching(/^not a PDF, OXPS\/XPS or PWG raster document/),
    });
    await expect(countDocumentPages(new Uint8Array())).resolves.toHaveProperty('unknown');
  });
});

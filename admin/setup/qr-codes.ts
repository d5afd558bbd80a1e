import QRCode from 'qrcode';
import { escapeHtml } from '../../src/http/escape-html';

/** A printer that gets a QR code: where it is helps people pick the right sticker. */
export interface QrPrinter {
  id: string;
  displayName: string;
  location?: string;
}

export interface QrCodeFile {
  printer: QrPrinter;
  url: string;
  /** File name without extension, from the printer's name (safe on every file system). */
  baseName: string;
  svg: string;
  png: Buffer;
}

/** The release page for one printer: what the QR code at that printer opens. */
export function releasePageUrl(functionAppUrl: string, printerId: string): string {
  const url = new URL('/api/release', functionAppUrl);
  url.searchParams.set('printer', printerId);
  return url.toString();
}

export const fileNameFor = (printer: QrPrinter) => {
  const name = printer.displayName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents off: é becomes e
    .replace(/[^\w]+/g, '-') // no dots, slashes or accents: nothing a file system or shell trips on
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 60);
  return `${name || 'printer'}-${printer.id.replace(/-/g, '').slice(-8)}`;
};

/**
 * A sticker per printer: the QR code (error correction level Q, so a scratched sticker still scans)
 * with the printer's name and a line saying what to do, as SVG for printing at any size and PNG.
 */
export async function qrCodeFiles(printers: QrPrinter[], functionAppUrl: string): Promise<QrCodeFile[]> {
  return Promise.all(
    printers.map(async (printer) => {
      const url = releasePageUrl(functionAppUrl, printer.id);
      const options = { errorCorrectionLevel: 'Q' as const, margin: 2 };
      const code = await QRCode.toString(url, { ...options, type: 'svg' });
      const inner = code.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
      const viewBox = /viewBox="([^"]+)"/.exec(code)?.[1] ?? '0 0 33 33';
      const svg =
        `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="380" viewBox="0 0 300 380">` +
        `<rect width="300" height="380" fill="#fff"/>` +
        `<svg x="10" y="10" width="280" height="280" viewBox="${viewBox}" shape-rendering="crispEdges">${inner}</svg>` +
        `<text x="150" y="318" text-anchor="middle" font-family="sans-serif" font-size="18" font-weight="bold">${escapeHtml(
          printer.displayName,
        )}</text>` +
        `<text x="150" y="346" text-anchor="middle" font-family="sans-serif" font-size="14">Scan to print your held jobs here</text>` +
        (printer.location
          ? `<text x="150" y="368" text-anchor="middle" font-family="sans-serif" font-size="12" fill="#555">${escapeHtml(
              printer.location,
            )}</text>`
          : '') +
        `</svg>`;
      // One PNG filter ("Up": a QR code's rows repeat in blocks) rather than pngjs trying all five per row:
      // about 14 kB a sticker, several times faster than Paeth (whose per-pixel Math calls are slow under jest).
      const png = await QRCode.toBuffer(url, {
        ...options,
        type: 'png',
        width: 600,
        rendererOpts: { filterType: 2 },
      } as QRCode.QRCodeToBufferOptions);
      return { printer, url, baseName: fileNameFor(printer), svg, png };
    }),
  );
}

/** One page with every sticker, to print on a sheet and cut out. */
export function qrCodeSheet(files: QrCodeFile[]): string {
  const cells = files
    .map((f) => `<figure><img src="${f.baseName}.svg" alt="QR code for ${escapeHtml(f.printer.displayName)}"></figure>`)
    .join('');
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Release Gate QR codes</title>` +
    `<style>body{margin:1cm;display:grid;grid-template-columns:repeat(auto-fill,7cm);gap:.5cm}` +
    `figure{margin:0;border:1px dashed #999;break-inside:avoid}img{width:100%}</style></head>` +
    `<body>${cells}</body></html>`
  );
}

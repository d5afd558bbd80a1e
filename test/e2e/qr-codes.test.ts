import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { runQrCodes } from '../../scripts/qr-codes';
import { fileNameFor } from '../../admin/setup/qr-codes';

/** The admin's QR codes, made against the simulator and read back with a QR decoder. */
describe('QR codes for release printers', () => {
  let sim: Simulator;
  let out: string;
  beforeAll(async () => {
    sim = await startSimulator();
    out = mkdtempSync(path.join(os.tmpdir(), 'qr-'));
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('writes a sticker per printer that scans to the release page with that printer chosen', async () => {
    const { library, floor1Color } = sim.demo!.printers;
    const lines: string[] = [];
    const files = await runQrCodes(
      [
        '--function-url',
        'https://release-gate-demo.azurewebsites.net',
        '--printers',
        `${library.id},${floor1Color.id}`,
        '--out',
        out,
        '--tenant',
        sim.tenantId,
        '--client-id',
        DEMO_APP_CLIENT_ID,
        '--authority-host',
        sim.authorityHost,
        '--graph-base-url',
        sim.url,
      ],
      (line) => lines.push(line),
    );
    expect(files.map((f) => path.basename(f)).sort()).toEqual(
      [
        `${fileNameFor({ id: floor1Color.id, displayName: floor1Color.displayName })}.png`,
        `${fileNameFor({ id: floor1Color.id, displayName: floor1Color.displayName })}.svg`,
        `${fileNameFor({ id: library.id, displayName: library.displayName })}.png`,
        `${fileNameFor({ id: library.id, displayName: library.displayName })}.svg`,
        'index.html',
      ].sort(),
    );
    const base = path.join(out, fileNameFor({ id: library.id, displayName: library.displayName }));
    const png = PNG.sync.read(readFileSync(`${base}.png`));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(decoded?.data).toBe(`https://release-gate-demo.azurewebsites.net/api/release?printer=${library.id}`);
    const svg = readFileSync(`${base}.svg`, 'utf8');
    expect(svg).toContain('School Library');
    expect(svg).toContain('School, Main, floor 0');
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('alt="QR code for HQ Floor 1 Color"');
    expect(lines.at(-1)).toMatch(/^Wrote 2 QR code\(s\)/);
  });

  it('file names are safe whatever the printer is called', () => {
    expect(fileNameFor({ id: 'abcdef12-0000', displayName: '../../Étage 2 / Café: "Mono"' })).toBe(
      'etage-2-cafe-mono-ef120000',
    );
  });
});

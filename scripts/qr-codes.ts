/**
 * `npm run qr-codes -- [options]`: a printable QR code per release printer, opening the release page
 * with that printer chosen. Writes `<printer>.svg` (with the printer's name, for stickers), `<printer>.png`
 * and `index.html` (every sticker on one sheet) into the output folder. Printer names and locations
 * come from Graph as the signed-in admin (device code), like `npm run setup`.
 *
 *   --function-url <url>   RELEASE_GATE_FUNCTION_APP_URL (https://<app>.azurewebsites.net)
 *   --printers <id,…>      default: RELEASE_GATE_RELEASE_PRINTERS, else every physical printer
 *   --out <folder>         default qr-codes/
 *   --tenant, --client-id, --cloud, --authority-host, --graph-base-url   as for `npm run setup`
 *   --sandbox              use the running sandbox (`npm run sandbox`) for all of the above
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CLOUDS } from '../src/graph/graph-endpoints';
import type { PrintApi } from '../src/graph/print-api';
import { adminPrintApi } from '../admin/setup/admin-sign-in';
import { qrCodeFiles, qrCodeSheet, type QrPrinter } from '../admin/setup/qr-codes';
import { DEFAULT_TENANT_ID } from '../sandbox/simulator';
import { DEMO_APP_CLIENT_ID } from '../sandbox/simulator/demo-tenant';
import { readRunning } from '../sandbox/state-file';

export async function printersFor(api: PrintApi, ids: string[] | undefined): Promise<QrPrinter[]> {
  const printers = ids
    ? await Promise.all(ids.map((id) => api.getPrinter(id)))
    : (await api.listPrinters()).filter((p) => p.hasPhysicalDevice !== false);
  return printers.map((p) => {
    const l = p.location;
    const location = [l?.site, l?.building, l?.floor && `floor ${l.floor}`, l?.roomName].filter(Boolean).join(', ');
    return { id: p.id, displayName: p.displayName ?? p.id, ...(location ? { location } : {}) };
  });
}

export async function runQrCodes(argv: string[], out: (line: string) => void = console.log): Promise<string[]> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'function-url': { type: 'string', default: process.env.RELEASE_GATE_FUNCTION_APP_URL },
      printers: { type: 'string' },
      out: { type: 'string', default: 'qr-codes' },
      tenant: { type: 'string', default: process.env.RELEASE_GATE_TENANT_ID },
      'client-id': { type: 'string', default: process.env.RELEASE_GATE_APP_CLIENT_ID },
      cloud: { type: 'string', default: process.env.RELEASE_GATE_CLOUD ?? 'global' },
      'authority-host': { type: 'string', default: process.env.RELEASE_GATE_AUTHORITY_HOST },
      'graph-base-url': { type: 'string', default: process.env.RELEASE_GATE_GRAPH_BASE_URL },
      sandbox: { type: 'boolean', default: false },
    },
  });
  if (values.sandbox) {
    const running = readRunning();
    Object.assign(values, {
      'function-url': running.hostUrl,
      tenant: DEFAULT_TENANT_ID,
      'client-id': DEMO_APP_CLIENT_ID,
      'authority-host': running.simulatorUrl,
      'graph-base-url': running.simulatorUrl,
    });
  }
  const missing = (['function-url', 'tenant', 'client-id'] as const).filter((name) => !values[name]);
  if (missing.length) throw new Error(`Missing ${missing.map((m) => `--${m}`).join(', ')} (see the README).`);

  const declared = values.printers ?? process.env.RELEASE_GATE_RELEASE_PRINTERS;
  const ids = declared
    ? declared.trim().startsWith('[')
      ? (JSON.parse(declared) as string[])
      : declared.split(',').map((id) => id.trim())
    : undefined;
  const api = adminPrintApi(
    {
      tenant: values.tenant!,
      clientId: values['client-id']!,
      cloud: values.cloud as keyof typeof CLOUDS,
      authorityHost: values['authority-host'],
      graphBaseUrl: values['graph-base-url'],
    },
    out,
  );
  const files = await qrCodeFiles(await printersFor(api, ids), values['function-url']!);
  const folder = path.resolve(values.out);
  mkdirSync(folder, { recursive: true });
  const written: string[] = [];
  for (const file of files) {
    writeFileSync(path.join(folder, `${file.baseName}.svg`), file.svg);
    writeFileSync(path.join(folder, `${file.baseName}.png`), file.png);
    written.push(`${file.baseName}.svg`, `${file.baseName}.png`);
    out(`${file.printer.displayName}: ${file.url}`);
  }
  writeFileSync(path.join(folder, 'index.html'), qrCodeSheet(files));
  written.push('index.html');
  out(`Wrote ${files.length} QR code(s) to ${folder} (print index.html for a sheet of stickers).`);
  return written.map((name) => path.join(folder, name));
}

if (require.main === module) {
  runQrCodes(process.argv.slice(2)).catch((error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  });
}

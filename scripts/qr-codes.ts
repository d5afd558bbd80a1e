/**
 * `npm run qr-codes -- [options]`: a printable QR code per release printer, opening the release page
 * with that printer chosen. Writes `<printer>.svg` (with the printer's name, for stickers), `<printer>.png`
 * and `index.html` (every sticker on one sheet) into the output folder. Printer names and locations
 * come from Graph as the signed-in admin (device code), like `npm run setup`; `--sandbox` takes everything
 * from the running sandbox (whose simulator approves the sign-in itself) and writes into its own directory.
 * `npm run qr-codes -- --help` lists the options.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import {
  EXIT,
  UsageError,
  action,
  defineCommand,
  describeUse,
  oneOf,
  progress,
  runMain,
  wholeNumber,
  type Terminal,
} from '../admin/cli/cli';
import type { PrintApi } from '../src/graph/print-api';
import { adminPrintApi, SANDBOX_SIGN_IN_NOTE } from '../admin/setup/admin-sign-in';
import { CLOUD_NAMES, sandboxValues } from '../admin/setup/admin-tool-args';
import { qrCodeFiles, qrCodeSheet, type QrPrinter } from '../admin/setup/qr-codes';
import { classifyGraphError } from '../src/graph/graph-errors';
import { readRunning, readSandboxSettings } from '../sandbox/state-file';

export async function printersFor(api: PrintApi, ids: string[] | undefined): Promise<QrPrinter[]> {
  const read = async (id: string) => {
    try {
      return await api.getPrinter(id);
    } catch (error) {
      if (classifyGraphError(error).kind === 'not-found')
        throw new UsageError(`--printers: no printer has the id "${id}" in this tenant.`);
      throw error;
    }
  };
  const printers = ids
    ? await Promise.all(ids.map(read))
    : (await api.listPrinters()).filter((p) => p.hasPhysicalDevice !== false);
  return printers.map((p) => {
    const l = p.location;
    const location = [l?.site, l?.building, l?.floor && `floor ${l.floor}`, l?.roomName].filter(Boolean).join(', ');
    return { id: p.id, displayName: p.displayName ?? p.id, ...(location ? { location } : {}) };
  });
}

interface QrFlags {
  functionUrl?: string;
  printers?: string;
  out?: string;
  tenant?: string;
  clientId?: string;
  cloud: string;
  authorityHost?: string;
  graphBaseUrl?: string;
  sandbox?: boolean;
  port?: number;
}

/** Printer ids from --printers (or RELEASE_GATE_RELEASE_PRINTERS): comma-separated, or a JSON array. */
function printerIds(declared: string | undefined): string[] | undefined {
  if (!declared?.trim()) return undefined;
  if (!declared.trim().startsWith('['))
    return declared
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
  let parsed: unknown;
  try {
    parsed = JSON.parse(declared);
  } catch {
    throw new UsageError(`--printers "${declared}" is neither ids separated by commas nor a JSON array of ids.`);
  }
  if (!Array.isArray(parsed) || !parsed.every((id) => typeof id === 'string'))
    throw new UsageError(`--printers "${declared}" must be a JSON array of printer ids (strings).`);
  return parsed;
}

function addQrOptions(command: Command, env: NodeJS.ProcessEnv): Command {
  const fromEnv = (flags: string, description: string, ...names: string[]) => {
    const name = names.find((n) => env[n]);
    return name
      ? new Option(flags, description).default(env[name], `$${name}`)
      : new Option(flags, `${description} (${names.join(', else ')})`);
  };
  return command
    .addOption(fromEnv('--function-url <url>', 'the Function App the codes open', 'RELEASE_GATE_FUNCTION_APP_URL'))
    .addOption(
      fromEnv(
        '--printers <ids>',
        'printer ids, comma-separated or a JSON array; default every physical printer',
        'RELEASE_GATE_RELEASE_PRINTERS',
      ),
    )
    .option('--out <folder>', "where to write them (default ./qr-codes, or the sandbox's own directory with --sandbox)")
    .addOption(fromEnv('--tenant <id>', 'the tenant id', 'RELEASE_GATE_TENANT_ID'))
    .addOption(
      fromEnv(
        '--client-id <id>',
        'the app registration the admin signs in through',
        'RELEASE_GATE_ADMIN_APP_CLIENT_ID',
        'RELEASE_GATE_APP_CLIENT_ID',
      ),
    )
    .addOption(
      new Option('--cloud <cloud>', 'the national cloud')
        .default(env.RELEASE_GATE_CLOUD || 'global')
        .argParser(oneOf(CLOUD_NAMES)),
    )
    .addOption(fromEnv('--authority-host <url>', 'another Entra ID (the sandbox)', 'RELEASE_GATE_AUTHORITY_HOST'))
    .addOption(fromEnv('--graph-base-url <url>', 'another Graph (the sandbox)', 'RELEASE_GATE_GRAPH_BASE_URL'))
    .option('--sandbox', 'use the running sandbox (npm run sandbox) for all of the above')
    .addOption(
      new Option('--port <n>', 'with --sandbox: the sandbox on this Functions host port, when several run').argParser(
        wholeNumber(1, 65535),
      ),
    );
}

/** Writes the QR codes; returns the files written. */
export async function runQrCodes(
  command: Command,
  terminal: Terminal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  const values = { ...command.opts<QrFlags>() };
  let folder = values.out;
  if (values.port !== undefined && !values.sandbox) throw new UsageError('--port goes with --sandbox.');
  if (values.sandbox) {
    const running = readRunning(values.port, env);
    const fromSandbox = sandboxValues(values.port, env);
    // Flags the admin typed win; values from the environment give way to the sandbox's.
    const typed = (name: keyof QrFlags) => command.getOptionValueSource(name) === 'cli';
    for (const name of ['functionUrl', 'tenant', 'authorityHost', 'graphBaseUrl', 'cloud'] as const)
      if (!typed(name) && fromSandbox[name] !== undefined) values[name] = fromSandbox[name]!;
    if (!typed('clientId')) values.clientId = fromSandbox.adminClientId;
    // The sandbox's release printers (if it declares them), whatever RELEASE_GATE_RELEASE_PRINTERS says in this shell.
    if (!typed('printers')) values.printers = readSandboxSettings(running).RELEASE_GATE_RELEASE_PRINTERS || undefined;
    folder ??= path.join(running.directory, 'qr-codes');
  }
  const missing = (['functionUrl', 'tenant', 'clientId'] as const).filter((name) => !values[name]);
  if (missing.length)
    throw new UsageError(
      `Missing ${missing.map((m) => `--${m.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} ` +
        '(or their RELEASE_GATE_* settings); --sandbox takes them from the running sandbox.',
    );
  try {
    new URL(values.functionUrl!);
  } catch {
    throw new UsageError(`--function-url "${values.functionUrl}" is not a URL, e.g. https://<app>.azurewebsites.net`);
  }
  const ids = printerIds(values.printers);

  const api = adminPrintApi(
    {
      tenant: values.tenant!,
      clientId: values.clientId!,
      cloud: values.cloud as (typeof CLOUD_NAMES)[number],
      authorityHost: values.authorityHost || undefined,
      graphBaseUrl: values.graphBaseUrl || undefined,
    },
    values.sandbox ? () => terminal.out(SANDBOX_SIGN_IN_NOTE) : (message) => terminal.err(message),
  );
  const reading = progress(terminal, 'Reading the printers');
  let printers: QrPrinter[];
  try {
    printers = await printersFor(api, ids);
  } catch (error) {
    reading.fail('failed');
    throw error;
  }
  reading.done(`${printers.length} printer(s)`);
  const files = await qrCodeFiles(printers, values.functionUrl!);
  const target = path.resolve(folder ?? 'qr-codes');
  mkdirSync(target, { recursive: true });
  const written: string[] = [];
  for (const file of files) {
    writeFileSync(path.join(target, `${file.baseName}.svg`), file.svg);
    writeFileSync(path.join(target, `${file.baseName}.png`), file.png);
    written.push(`${file.baseName}.svg`, `${file.baseName}.png`);
    terminal.out(`${file.printer.displayName}: ${file.url}`);
  }
  writeFileSync(path.join(target, 'index.html'), qrCodeSheet(files));
  written.push('index.html');
  const shown = path.relative(process.cwd(), target);
  terminal.out(
    `Wrote ${files.length} QR code(s) to ${shown && !shown.startsWith('..') ? shown : target} ` +
      '(print index.html for a sheet of stickers).',
  );
  return written.map((name) => path.join(target, name));
}

export function command(terminal: Terminal, env: NodeJS.ProcessEnv = process.env): Command {
  const qr = addQrOptions(
    defineCommand('qr-codes', 'A printable QR code per release printer, opening its release page.', terminal),
    env,
  );
  describeUse(qr, {
    notes: [
      'Writes <printer>.svg and .png (a sticker with the name and location) and index.html (a sheet of them).',
      "With --sandbox they go into the sandbox's own directory (.sandbox/<port>/qr-codes) and open its release page",
      '(its LAN address when it was started with --lan).',
    ],
    examples: [
      'npm run qr-codes -- --sandbox',
      'npm run qr-codes -- --sandbox --printers <printer id> --out stickers',
      'eval "$(azd env get-values)" && npm run qr-codes -- --function-url https://<app>.azurewebsites.net',
    ],
  });
  return qr.action(
    action(async () => {
      await runQrCodes(qr, terminal, env);
      return EXIT.ok;
    }),
  );
}

if (require.main === module) runMain((terminal) => command(terminal));

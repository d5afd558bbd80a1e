/**
 * `npm run print -- --user <upn> --printer <name> [--name Doc.pdf] [--size 2MB] [--color] [--copies N]
 * [--duplex]`: submits a print job to the running sandbox's simulator, as that user would print.
 */
import { parseArgs } from 'node:util';
import { readRunning } from './state-file';

const units: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(text.trim());
  if (!match) throw new Error(`--size takes a size like 250KB or 2MB, not ${text}`);
  return Math.round(Number(match[1]) * units[(match[2] ?? 'B').toUpperCase()]!);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      user: { type: 'string', default: 'adele@contoso.example' },
      printer: { type: 'string', default: 'HQ Floor 1 Color' },
      name: { type: 'string', default: 'Document.pdf' },
      size: { type: 'string', default: '200KB' },
      copies: { type: 'string', default: '1' },
      color: { type: 'boolean', default: false },
      duplex: { type: 'boolean', default: false },
    },
  });
  const running = readRunning();
  const printers = (await (await fetch(`${running.simulatorUrl}/_control/printers`)).json()) as {
    value: { id: string; displayName: string }[];
  };
  const wanted = values.printer.toLowerCase();
  const printer =
    printers.value.find((p) => p.displayName.toLowerCase() === wanted) ??
    printers.value.find((p) => p.displayName.toLowerCase().includes(wanted));
  if (!printer)
    throw new Error(
      `No printer matches "${values.printer}". Printers: ${printers.value.map((p) => p.displayName).join(', ')}`,
    );
  const response = await fetch(`${running.simulatorUrl}/_control/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      printerId: printer.id,
      userPrincipalName: values.user,
      configuration: {
        copies: Number(values.copies),
        colorMode: values.color ? 'color' : 'blackAndWhite',
        duplexMode: values.duplex ? 'flipOnLongEdge' : 'oneSided',
      },
      document: { displayName: values.name, size: parseSize(values.size), contentType: 'application/pdf' },
    }),
  });
  const body = (await response.json()) as {
    job?: { id: string; status: { state: string } };
    task?: { id: string };
    error?: { message: string };
  };
  if (!response.ok) throw new Error(body.error?.message ?? `The simulator answered ${response.status}`);
  console.log(
    `Job ${body.job!.id} on "${printer.displayName}" as ${values.user}: ${body.job!.status.state}${body.task ? `, task ${body.task.id} processing` : ''}`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

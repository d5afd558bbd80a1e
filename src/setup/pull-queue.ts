import { webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator } from './x509';
import type { PrintApi } from '../graph/print-api';
import type { Printer } from '../graph/print-schemas';
import { ensureTaskTrigger, type TriggerOutcome } from './ensure-task-trigger';

/**
 * A pull queue: a virtual printer (no device behind it) that users print to, shared with them, with
 * Release Gate's trigger on it so every job is held for release. Registered with a delegated
 * Printer Administrator token, as Graph requires; or an existing printer the admin names is adopted.
 * Idempotent: a queue that exists is reused, a share or trigger that exists is kept.
 */
export interface PullQueueOptions {
  /** Register (or find) a virtual printer with this name… */
  displayName?: string;
  /** …or adopt this existing printer. */
  adoptPrinterId?: string;
  definition: { id: string; url: string };
  /** `${graph base}/v1.0/print/printers/<id>`: how a share names its printer. */
  printerUrl: (printerId: string) => string;
  allowAllUsers: boolean;
  dryRun?: boolean;
  pollIntervalMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
}

export interface PullQueueResult {
  printer?: Printer;
  created: { printer: boolean; share: boolean; trigger: boolean };
  trigger?: TriggerOutcome['status'];
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function ensurePullQueue(api: PrintApi, options: PullQueueOptions): Promise<PullQueueResult> {
  const log = options.log ?? (() => undefined);
  const created = { printer: false, share: false, trigger: false };
  let printer = await findPrinter(api, options);
  if (!printer) {
    if (options.dryRun) {
      log(`Would register the pull queue "${options.displayName}", share it and put the trigger on it.`);
      return { created };
    }
    printer = await registerVirtualPrinter(api, options.displayName!, options);
    created.printer = true;
    log(`Registered the pull queue "${printer.displayName}" (${printer.id}).`);
  } else {
    log(`${options.adoptPrinterId ? 'Adopting' : 'Found'} the pull queue "${printer.displayName}" (${printer.id}).`);
  }

  const shares = await api.listPrinterShares(printer.id);
  if (shares.length === 0) {
    if (options.dryRun) log(`Would share "${printer.displayName}"${options.allowAllUsers ? ' with all users' : ''}.`);
    else {
      // A share's name is what users see in their printer list (at most 50 characters).
      const share = await api.createPrinterShare(
        options.printerUrl(printer.id),
        (printer.displayName ?? 'Pull queue').slice(0, 50),
        options.allowAllUsers,
      );
      created.share = true;
      log(
        `Shared it as "${share.displayName}"${options.allowAllUsers ? ' with all users' : '; grant users access in the Universal Print portal'}.`,
      );
    }
  } else log(`It is already shared as "${shares[0]!.displayName}".`);

  if (options.dryRun) {
    log('Would put Release Gate’s trigger on it (if missing).');
    return { printer, created };
  }
  const trigger = await ensureTaskTrigger(api, printer.id, options.definition);
  created.trigger = trigger.status === 'created';
  if (trigger.status === 'conflict')
    log(`It has another app's trigger (${trigger.trigger.id}): not changed; jobs will not be held by Release Gate.`);
  else log(trigger.status === 'created' ? 'Put Release Gate’s trigger on it.' : 'Release Gate’s trigger is on it.');
  return { printer, created, trigger: trigger.status };
}

async function findPrinter(api: PrintApi, options: PullQueueOptions): Promise<Printer | undefined> {
  if (options.adoptPrinterId) return api.getPrinter(options.adoptPrinterId);
  if (!options.displayName) throw new Error('Name the pull queue to register, or the printer to adopt.');
  const name = options.displayName.toLowerCase();
  const matches = (await api.listPrinters()).filter((p) => p.displayName?.toLowerCase() === name);
  if (matches.length > 1)
    throw new Error(
      `${matches.length} printers are called "${options.displayName}" (${matches.map((p) => p.id).join(', ')}): adopt one with --adopt <id>.`,
    );
  return matches[0];
}

/** A CSR with a fresh RSA key: Universal Print issues the printer's certificate from it. */
export async function printerCertificateRequest(
  displayName: string,
): Promise<{ content: string; transportKey: string }> {
  const algorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const csr = await Pkcs10CertificateRequestGenerator.create(
    { name: `CN=${displayName.replace(/[,+="<>#;\\]/g, ' ')}`, keys, signingAlgorithm: algorithm },
    webcrypto,
  );
  // The transport key is a second key pair of the client's, as in Universal Print's CSR sample. No private
  // key is kept: a virtual queue never talks to the service as a device.
  const transport = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const transportKey = Buffer.from(await webcrypto.subtle.exportKey('spki', transport.publicKey)).toString('base64');
  return { content: Buffer.from(csr.rawData).toString('base64'), transportKey };
}

async function registerVirtualPrinter(api: PrintApi, displayName: string, options: PullQueueOptions): Promise<Printer> {
  const sleep = options.sleep ?? sleepFor;
  const { operationId, retryAfterSeconds } = await api.createPrinter({
    displayName,
    manufacturer: 'Release Gate',
    model: 'Pull queue',
    hasPhysicalDevice: false,
    physicalDeviceId: null,
    certificateSigningRequest: await printerCertificateRequest(displayName),
    connectorId: null,
  });
  const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000);
  let wait = (retryAfterSeconds ?? 0) * 1000 || (options.pollIntervalMs ?? 2000);
  for (;;) {
    await sleep(wait);
    const operation = await api.getPrintOperation(operationId);
    const state = operation.status.state;
    if (state === 'succeeded') {
      if (!operation.printer?.id) throw new Error(`Registration ${operationId} succeeded but names no printer.`);
      return operation.printer;
    }
    if (state === 'failed')
      throw new Error(
        `Registering "${displayName}" failed (operation ${operationId}): ${operation.status.description || 'no reason given'}`,
      );
    if (Date.now() > deadline)
      throw new Error(`Registering "${displayName}" did not finish in time (operation ${operationId}, ${state}).`);
    wait = options.pollIntervalMs ?? 2000;
  }
}

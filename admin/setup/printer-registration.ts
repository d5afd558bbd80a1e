import type { PrintApi } from '../../src/graph/print-api';
import type { Printer } from '../../src/graph/print-schemas';
import { printerCertificateRequest } from './printer-csr';

export interface RegistrationPacing {
  /** Wait between looks when Graph sends no Retry-After. Default 2 s. */
  pollIntervalMs?: number;
  /** Give up (with the operation's URL, to look it up later) after this long. Default 5 min. */
  timeoutMs?: number;
  /** Time, replaceable in tests. */
  clock?: { now(): number; sleep(ms: number): Promise<void> };
}

const realClock = {
  now: () => Date.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/** The identity Universal Print shows for our virtual printers (it has no device to report one). */
const VIRTUAL_PRINTER = { manufacturer: 'Release Gate', model: 'Pull queue' };

/**
 * Registers a virtual printer (no device behind it) and follows the long-running registration to its
 * end: waits as Graph's Retry-After asks (else `pollIntervalMs`), returns the new printer once the
 * operation has succeeded, and fails with the operation's URL and Graph's reason otherwise.
 */
export async function registerVirtualPrinter(
  api: Pick<PrintApi, 'createPrinter' | 'getPrintOperation'>,
  displayName: string,
  pacing: RegistrationPacing = {},
): Promise<Printer> {
  const clock = pacing.clock ?? realClock;
  const pollIntervalMs = pacing.pollIntervalMs ?? 2000;
  const timeoutMs = pacing.timeoutMs ?? 5 * 60_000;
  const { operationUrl, retryAfterSeconds } = await api.createPrinter({
    displayName,
    ...VIRTUAL_PRINTER,
    hasPhysicalDevice: false,
    physicalDeviceId: null,
    certificateSigningRequest: await printerCertificateRequest(displayName),
    connectorId: null,
  });
  const started = clock.now();
  let wait = waitFor(retryAfterSeconds, pollIntervalMs);
  for (;;) {
    await clock.sleep(wait);
    const operation = await api.getPrintOperation(operationUrl);
    const { state, description } = operation.status;
    if (state === 'succeeded') {
      if (!operation.printer?.id)
        throw new Error(
          `Registering "${displayName}" succeeded but Graph names no printer (operation ${operationUrl}).`,
        );
      return operation.printer;
    }
    if (state === 'failed')
      throw new Error(
        `Registering "${displayName}" failed (operation ${operationUrl}): ${description || 'Graph gave no reason.'}`,
      );
    if (clock.now() - started >= timeoutMs)
      throw new Error(
        `Registering "${displayName}" had not finished after ${Math.round(timeoutMs / 1000)} s ` +
          `(operation ${operationUrl}, still ${state}). Run set-up again later: it finds the printer once it exists.`,
      );
    wait = waitFor(operation.retryAfterSeconds, pollIntervalMs);
  }
}

function waitFor(retryAfterSeconds: number | undefined, pollIntervalMs: number): number {
  return retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : pollIntervalMs;
}

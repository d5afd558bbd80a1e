import type { PrintApi } from '../../../src/graph/print-api';
import type { PrintOperation } from '../../../src/graph/print-schemas';
import { Pkcs10CertificateRequest } from '../../../admin/setup/x509';
import { registerVirtualPrinter } from '../../../admin/setup/printer-registration';

type Look = Partial<PrintOperation> & { state: string; description?: string; retryAfterSeconds?: number };

const OPERATION_URL = 'https://graph.example/v1.0/print/operations/op-1';

/**
 * Graph's side of one registration, scripted: `printers/create` answers with the operation's URL and
 * an optional Retry-After, then each look returns the next state. Time is a fake clock that moves
 * only when the code under test sleeps.
 */
function scripted(looks: Look[], createRetryAfter?: number) {
  const requests: Parameters<PrintApi['createPrinter']>[0][] = [];
  const looked: string[] = [];
  const slept: number[] = [];
  let now = 0;
  const api: Pick<PrintApi, 'createPrinter' | 'getPrintOperation'> = {
    async createPrinter(request) {
      requests.push(request);
      return {
        operationUrl: OPERATION_URL,
        ...(createRetryAfter !== undefined ? { retryAfterSeconds: createRetryAfter } : {}),
      };
    },
    async getPrintOperation(urlOrId) {
      looked.push(urlOrId);
      const { state, description, retryAfterSeconds, ...rest } = looks[Math.min(looked.length, looks.length) - 1]!;
      return {
        id: 'op-1',
        status: { state, description: description ?? '' },
        ...rest,
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      };
    },
  };
  const clock = {
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
  };
  return { api, clock, requests, looked, slept };
}

const printer = { id: 'p-1', displayName: 'Pull HQ' };

describe('registering a virtual printer (printers/create and its long-running operation)', () => {
  it('asks for a virtual printer with a CSR and follows the operation to the new printer', async () => {
    const graph = scripted([{ state: 'notStarted' }, { state: 'running' }, { state: 'succeeded', printer }]);
    const registered = await registerVirtualPrinter(graph.api, 'Pull HQ', { clock: graph.clock, pollIntervalMs: 500 });
    expect(registered).toEqual(printer);
    const [request] = graph.requests;
    expect(request).toMatchObject({
      displayName: 'Pull HQ',
      hasPhysicalDevice: false,
      physicalDeviceId: null,
      connectorId: null,
    });
    expect(request!.manufacturer).toBeTruthy();
    expect(request!.model).toBeTruthy();
    const csr = new Pkcs10CertificateRequest(Buffer.from(request!.certificateSigningRequest.content, 'base64'));
    expect(csr.subject).toBe('CN=Pull HQ');
    expect(graph.looked).toEqual([OPERATION_URL, OPERATION_URL, OPERATION_URL]);
    expect(graph.slept).toEqual([500, 500, 500]);
  });

  it('waits as long as each Retry-After asks, and the poll interval when there is none', async () => {
    const graph = scripted(
      [{ state: 'running', retryAfterSeconds: 3 }, { state: 'running' }, { state: 'succeeded', printer }],
      5,
    );
    await registerVirtualPrinter(graph.api, 'Pull HQ', { clock: graph.clock, pollIntervalMs: 700 });
    expect(graph.slept).toEqual([5000, 3000, 700]);
  });

  it('fails with the operation and Graph’s reason', async () => {
    const graph = scripted([{ state: 'running' }, { state: 'failed', description: 'Printer quota exceeded.' }]);
    await expect(registerVirtualPrinter(graph.api, 'Pull HQ', { clock: graph.clock })).rejects.toThrow(
      `Registering "Pull HQ" failed (operation ${OPERATION_URL}): Printer quota exceeded.`,
    );
  });

  it('fails when a succeeded operation names no printer', async () => {
    const graph = scripted([{ state: 'succeeded' }]);
    await expect(registerVirtualPrinter(graph.api, 'Pull HQ', { clock: graph.clock })).rejects.toThrow(
      /succeeded but Graph names no printer \(operation https:\/\/graph\.example/,
    );
  });

  it('gives up after the timeout, naming the operation and its last state, and says what to do', async () => {
    const graph = scripted([{ state: 'running' }]);
    await expect(
      registerVirtualPrinter(graph.api, 'Pull HQ', { clock: graph.clock, pollIntervalMs: 1000, timeoutMs: 5000 }),
    ).rejects.toThrow(
      `Registering "Pull HQ" had not finished after 5 s (operation ${OPERATION_URL}, still running). Run set-up again later`,
    );
    expect(graph.looked).toHaveLength(5);
  });
});

import { createPublicKey, randomUUID } from 'node:crypto';
import { Pkcs10CertificateRequest } from '../../admin/setup/x509';
import { badRequest, conflict, notFound } from './errors';
import type { SimPrinter } from './model';
import type { Tenant } from './tenant';

/**
 * Printer registration as Universal Print does it: `printers/create` checks the request (a real
 * PKCS#10 CSR, signed by its key, and a transport key), answers 202 with an operation, and the
 * operation is `running` at the first look and `succeeded` with the new printer after that. Shares
 * make a printer visible to users (at most one per printer).
 */
export interface SimOperation {
  id: string;
  createdDateTime: string;
  looks: number;
  displayName: string;
  /** The app whose (delegated) token asked for the registration. */
  appId: string;
  /** Set once the registration has finished. */
  printerId?: string;
  failure?: string;
}

export interface SimShare {
  id: string;
  displayName: string;
  printerId: string;
  allowAllUsers: boolean;
  /** Object ids of the users and groups granted access (printerShare allowedUsers / allowedGroups). */
  allowedUsers: string[];
  allowedGroups: string[];
  createdDateTime: string;
}

export class PrinterRegistry {
  readonly operations = new Map<string, SimOperation>();
  readonly shares = new Map<string, SimShare>();
  private failures: string[] = [];

  constructor(private readonly tenant: Tenant) {}

  /** The next registration fails with this description (tests of the failure path). */
  failNextRegistration(description: string): void {
    this.failures.push(description);
  }

  async create(input: Record<string, unknown>, appId: string): Promise<SimOperation> {
    for (const field of ['displayName', 'manufacturer', 'model'] as const)
      if (typeof input[field] !== 'string' || !input[field].trim()) throw badRequest(`${field} is required.`);
    const hasPhysicalDevice = input.hasPhysicalDevice !== false;
    if (hasPhysicalDevice && !input.physicalDeviceId)
      throw badRequest('physicalDeviceId is required when hasPhysicalDevice is true.');
    const csr = input.certificateSigningRequest as { content?: unknown; transportKey?: unknown } | undefined;
    if (typeof csr?.content !== 'string' || typeof csr.transportKey !== 'string' || !csr.transportKey)
      throw badRequest('certificateSigningRequest needs content and transportKey.');
    if (!isPublicKey(csr.transportKey))
      throw badRequest('certificateSigningRequest.transportKey is not a base64 public key.');
    let request: Pkcs10CertificateRequest;
    try {
      request = new Pkcs10CertificateRequest(csr.content);
    } catch {
      throw badRequest('certificateSigningRequest.content is not a base64 PKCS#10 certificate request.');
    }
    if (!(await request.verify())) throw badRequest('The certificate request is not signed by its own key.');
    const operation: SimOperation = {
      id: randomUUID(),
      createdDateTime: new Date().toISOString(),
      looks: 0,
      displayName: input.displayName as string,
      appId,
    };
    const failure = this.failures.shift();
    if (failure) operation.failure = failure;
    this.operations.set(operation.id, operation);
    return operation;
  }

  /** Each look moves a registration on: running first, then done (the printer exists from then on). */
  look(id: string): SimOperation {
    const operation = this.operations.get(id);
    if (!operation) throw notFound(`Operation ${id}`);
    operation.looks++;
    if (operation.looks >= 2 && !operation.printerId && !operation.failure) {
      const printer: SimPrinter = {
        id: randomUUID(),
        displayName: operation.displayName,
        location: {},
        hasPhysicalDevice: false,
        isShared: false,
        // As Graph's example of a succeeded registration shows it: nothing known until its attributes are set.
        isAcceptingJobs: null,
        status: { state: 'unknown', details: [], description: '' },
        registeredByAppId: operation.appId,
      };
      this.tenant.printers.set(printer.id, printer);
      operation.printerId = printer.id;
    }
    return operation;
  }

  share(id: string): SimShare {
    const share = this.shares.get(id);
    if (!share) throw notFound(`PrinterShare ${id}`);
    return share;
  }

  createShare(input: Record<string, unknown>, printerId: string): SimShare {
    const printer = this.tenant.printer(printerId);
    const displayName = input.displayName;
    if (typeof displayName !== 'string' || !displayName.trim() || displayName.length > 50)
      throw badRequest('displayName is required (at most 50 characters).');
    if ([...this.shares.values()].some((s) => s.printerId === printer.id))
      throw conflict(`Printer ${printer.id} already has a share.`);
    const share: SimShare = {
      id: randomUUID(),
      displayName,
      printerId: printer.id,
      allowAllUsers: input.allowAllUsers === true,
      allowedUsers: [],
      allowedGroups: [],
      createdDateTime: new Date().toISOString(),
    };
    this.shares.set(share.id, share);
    printer.isShared = true;
    return share;
  }
}

/** The docs ask for "the public portion of an asymmetric key", base64: SubjectPublicKeyInfo or PKCS#1 DER. */
function isPublicKey(base64: string): boolean {
  const der = Buffer.from(base64, 'base64');
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      createPublicKey({ key: der, format: 'der', type });
      return true;
    } catch {
      // try the next encoding
    }
  }
  return false;
}

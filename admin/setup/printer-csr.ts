import { webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator } from './x509';

/** What `printers/create` takes as `certificateSigningRequest`. */
export interface PrinterCertificateRequest {
  /** The PKCS#10 request, DER, base64. */
  content: string;
  /** The public half of the same key (SubjectPublicKeyInfo, DER, base64). */
  transportKey: string;
}

const RSA_SHA256 = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

/**
 * A certificate signing request for a new printer, on a fresh RSA-2048 key, named (CN) after the
 * printer. Universal Print issues the printer's device certificate from it. The private key is
 * dropped here, never logged or stored: a virtual pull queue never talks to the service as a
 * device, so nothing will ever need it.
 */
export async function printerCertificateRequest(displayName: string): Promise<PrinterCertificateRequest> {
  const keys = await webcrypto.subtle.generateKey(RSA_SHA256, true, ['sign', 'verify']);
  const csr = await Pkcs10CertificateRequestGenerator.create(
    { name: `CN=${commonName(displayName)}`, keys, signingAlgorithm: RSA_SHA256 },
    webcrypto,
  );
  const publicKey = await webcrypto.subtle.exportKey('spki', keys.publicKey);
  return {
    content: Buffer.from(csr.rawData).toString('base64'),
    transportKey: Buffer.from(publicKey).toString('base64'),
  };
}

/**
 * The name as a CN value: characters with a meaning in an X.500 name string become spaces (a
 * printer's name is free text; the certificate's name only has to be recognisable), at most the 64
 * characters X.520 allows.
 */
function commonName(displayName: string): string {
  return (
    displayName
      .replace(/[,+="<>#;\\]/g, ' ')
      .trim()
      .slice(0, 64) || 'Pull queue'
  );
}

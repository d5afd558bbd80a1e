import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';

/**
 * A development CA and a loopback server certificate it signs, for the sandbox's HTTPS stand-ins
 * (the Universal Print simulator and the Key Vault stand-in). The Graph SDK only sends bearer
 * tokens to https:// hosts, and MSAL and the Azure SDKs refuse untrusted certificates, so local
 * processes trust this CA through NODE_EXTRA_CA_CERTS (see `scripts/with-dev-ca.ts`).
 * The files live in `.sandbox/tls/` (git-ignored), made once per machine and reused.
 */
export interface DevCertificates {
  caCertPath: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
}

export const DEFAULT_TLS_DIR = path.resolve(__dirname, '..', '..', '.sandbox', 'tls');

export async function ensureDevCertificates(dir: string = DEFAULT_TLS_DIR): Promise<DevCertificates> {
  const files = {
    caCertPath: path.join(dir, 'dev-ca.pem'),
    caKeyPath: path.join(dir, 'dev-ca-key.pem'),
    serverKeyPath: path.join(dir, 'server-key.pem'),
    serverCertPath: path.join(dir, 'server-cert.pem'),
  };
  if (!Object.values(files).every((file) => existsSync(file)) || expiresSoon(files.serverCertPath)) {
    mkdirSync(dir, { recursive: true });
    // Loaded only to make the files (node-forge: ~0.4 s of start-up in every process that reuses them).
    const { generate } = await import('selfsigned');
    const notAfterDate = new Date(Date.now() + 825 * 24 * 3600 * 1000);
    const ca = await generate([{ name: 'commonName', value: 'Release Gate sandbox development CA' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
    const server = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    });
    writeFileSync(files.caKeyPath, ca.private, { mode: 0o600 });
    writeFileSync(files.caCertPath, ca.cert);
    writeFileSync(files.serverKeyPath, server.private, { mode: 0o600 });
    writeFileSync(files.serverCertPath, server.cert);
  }
  return {
    caCertPath: files.caCertPath,
    caCert: readFileSync(files.caCertPath, 'utf8'),
    serverKey: readFileSync(files.serverKeyPath, 'utf8'),
    serverCert: readFileSync(files.serverCertPath, 'utf8'),
  };
}

function expiresSoon(certPath: string): boolean {
  const cert = new X509Certificate(readFileSync(certPath));
  return new Date(cert.validTo).getTime() < Date.now() + 7 * 24 * 3600 * 1000;
}

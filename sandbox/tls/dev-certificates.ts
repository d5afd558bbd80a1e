import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';

/**
 * A development CA and a server certificate it signs, for the sandbox's HTTPS servers (the Universal
 * Print simulator, the Key Vault stand-in, and the Functions host with `--lan`). The Graph SDK only
 * sends bearer tokens to https:// hosts, and MSAL and the Azure SDKs refuse untrusted certificates, so
 * local processes trust this CA through NODE_EXTRA_CA_CERTS (see `scripts/with-dev-ca.ts`); a phone
 * trying the sandbox on the LAN installs it or accepts its warning.
 * The files live in `.sandbox/tls/` (git-ignored), made once per machine and reused. The server
 * certificate names localhost, 127.0.0.1 and ::1, and every further address asked for (`--lan`): when
 * one is missing only the server certificate is issued again, by the same CA, so processes that
 * already trust the CA keep trusting the new certificate.
 */
export interface DevCertificates {
  caCertPath: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
}

export const DEFAULT_TLS_DIR = path.resolve(__dirname, '..', '..', '.sandbox', 'tls');

const LOOPBACK_NAMES = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] };

export async function ensureDevCertificates(
  dir: string = DEFAULT_TLS_DIR,
  options: { addresses?: string[] } = {},
): Promise<DevCertificates> {
  const files = {
    caCertPath: path.join(dir, 'dev-ca.pem'),
    caKeyPath: path.join(dir, 'dev-ca-key.pem'),
    serverKeyPath: path.join(dir, 'server-key.pem'),
    serverCertPath: path.join(dir, 'server-cert.pem'),
  };
  const wanted = [...new Set([...LOOPBACK_NAMES.ip, ...(options.addresses ?? [])])];
  const caUsable = existsSync(files.caCertPath) && existsSync(files.caKeyPath) && !expiresSoon(files.caCertPath);
  const serverUsable =
    caUsable &&
    existsSync(files.serverKeyPath) &&
    existsSync(files.serverCertPath) &&
    !expiresSoon(files.serverCertPath) &&
    wanted.every((address) => namesAddress(files.serverCertPath, address));
  if (!serverUsable) {
    mkdirSync(dir, { recursive: true });
    // Loaded only to make the files (node-forge: ~0.4 s of start-up in every process that reuses them).
    const { generate } = await import('selfsigned');
    const notAfterDate = new Date(Date.now() + 825 * 24 * 3600 * 1000);
    let ca = caUsable
      ? { private: readFileSync(files.caKeyPath, 'utf8'), cert: readFileSync(files.caCertPath, 'utf8') }
      : undefined;
    if (!ca) {
      const made = await generate([{ name: 'commonName', value: 'Release Gate sandbox development CA' }], {
        keySize: 2048,
        algorithm: 'sha256',
        notAfterDate,
        extensions: [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        ],
      });
      ca = { private: made.private, cert: made.cert };
      writeWhole(files.caKeyPath, ca.private, 0o600);
      writeWhole(files.caCertPath, ca.cert);
    }
    // Addresses named before stay named (another sandbox may be serving with them).
    const previous = existsSync(files.serverCertPath) && caUsable ? certificateAddresses(files.serverCertPath) : [];
    const addresses = [...new Set([...wanted, ...previous])];
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
            ...LOOPBACK_NAMES.dns.map((value) => ({ type: 2 as const, value })),
            ...addresses.map((ip) => ({ type: 7 as const, ip })),
          ],
        },
      ],
    });
    writeWhole(files.serverKeyPath, server.private, 0o600);
    writeWhole(files.serverCertPath, server.cert);
  }
  return {
    caCertPath: files.caCertPath,
    caCert: readFileSync(files.caCertPath, 'utf8'),
    serverKey: readFileSync(files.serverKeyPath, 'utf8'),
    serverCert: readFileSync(files.serverCertPath, 'utf8'),
  };
}

/** Another process starting a server meanwhile reads the old file or the new one, never half of one. */
function writeWhole(file: string, text: string, mode = 0o644): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, file);
}

function expiresSoon(certPath: string): boolean {
  const cert = new X509Certificate(readFileSync(certPath));
  return new Date(cert.validTo).getTime() < Date.now() + 7 * 24 * 3600 * 1000;
}

/** The IP addresses a certificate's subjectAltName names. */
export function certificateAddresses(certPath: string): string[] {
  const names = new X509Certificate(readFileSync(certPath)).subjectAltName ?? '';
  return names
    .split(', ')
    .filter((name) => name.startsWith('IP Address:'))
    .map((name) => normalizeIp(name.slice('IP Address:'.length)));
}

function namesAddress(certPath: string, address: string): boolean {
  return certificateAddresses(certPath).includes(normalizeIp(address));
}

/** Node prints ::1 as 0:0:0:0:0:0:0:1 in subjectAltName. */
function normalizeIp(ip: string): string {
  return ip === '0:0:0:0:0:0:0:1' ? '::1' : ip.toLowerCase();
}

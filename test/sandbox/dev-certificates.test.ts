import { mkdtempSync, rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { certificateAddresses, ensureDevCertificates } from '../../sandbox/tls/dev-certificates';

/**
 * `--lan <address>` needs the server certificate to name the address. Only the server certificate is
 * issued again, by the same CA: processes that trust the CA (NODE_EXTRA_CA_CERTS) keep trusting it.
 */
describe('the development certificates', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dev-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('add a LAN address to the server certificate, keeping the CA and the addresses named before', async () => {
    const first = await ensureDevCertificates(dir);
    expect(certificateAddresses(path.join(dir, 'server-cert.pem')).sort()).toEqual(['127.0.0.1', '::1']);

    const lan = await ensureDevCertificates(dir, { addresses: ['127.0.0.3'] });
    expect(lan.caCert).toBe(first.caCert);
    expect(lan.serverCert).not.toBe(first.serverCert);
    expect(certificateAddresses(path.join(dir, 'server-cert.pem')).sort()).toEqual(['127.0.0.1', '127.0.0.3', '::1']);
    const ca = new X509Certificate(lan.caCert);
    expect(new X509Certificate(lan.serverCert).verify(ca.publicKey)).toBe(true);

    // Asked again (with or without the address), nothing is issued.
    expect((await ensureDevCertificates(dir)).serverCert).toBe(lan.serverCert);
    expect((await ensureDevCertificates(dir, { addresses: ['127.0.0.3'] })).serverCert).toBe(lan.serverCert);
  }, 60000);
});

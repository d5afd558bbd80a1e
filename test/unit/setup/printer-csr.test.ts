import { createPublicKey } from 'node:crypto';
import { Pkcs10CertificateRequest } from '../../../admin/setup/x509';
import { printerCertificateRequest } from '../../../admin/setup/printer-csr';

describe('the certificate signing request for a new printer', () => {
  it('is a PKCS#10 request on an RSA-2048 key, signed by that key, named after the printer', async () => {
    const { content } = await printerCertificateRequest('Pull HQ');
    const csr = new Pkcs10CertificateRequest(Buffer.from(content, 'base64'));
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe('CN=Pull HQ');
    const key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('sends the public half of the same key as the transport key (SubjectPublicKeyInfo, base64)', async () => {
    const { content, transportKey } = await printerCertificateRequest('Pull HQ');
    const csr = new Pkcs10CertificateRequest(Buffer.from(content, 'base64'));
    expect(transportKey).toBe(Buffer.from(csr.publicKey.rawData).toString('base64'));
    expect(createPublicKey({ key: Buffer.from(transportKey, 'base64'), format: 'der', type: 'spki' }).type).toBe(
      'public',
    );
  });

  it('uses a fresh key each time and hands back nothing but the request and the public key', async () => {
    const [a, b] = await Promise.all([printerCertificateRequest('A'), printerCertificateRequest('A')]);
    expect(a.transportKey).not.toBe(b.transportKey);
    expect(Object.keys(a).sort()).toEqual(['content', 'transportKey']);
  });

  it('turns characters with a meaning in X.500 names into spaces, and keeps the CN within 64 characters', async () => {
    const named = async (name: string) =>
      new Pkcs10CertificateRequest(Buffer.from((await printerCertificateRequest(name)).content, 'base64')).subject;
    expect(await named('Pull HQ, Building A+B')).toBe('CN=Pull HQ  Building A B');
    expect(await named('x'.repeat(80))).toBe(`CN=${'x'.repeat(64)}`);
  });
});

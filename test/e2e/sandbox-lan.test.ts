import { createHash } from 'node:crypto';
import path from 'node:path';
import tls from 'node:tls';
import { lanAddress } from '../../sandbox/main';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { certificateAddresses, DEFAULT_TLS_DIR } from '../../sandbox/tls/dev-certificates';
import { waitFor } from '../support/wait';

/** The certificate a server presents: its subjectAltName, as a phone's browser checks it. */
function servedNames(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), servername: undefined }, () => {
      resolve(socket.getPeerCertificate().subjectaltname ?? '');
      socket.end();
    });
    socket.once('error', reject);
  });
}

/**
 * `npm run sandbox -- --lan <address>`: everything a phone meets follows the address. Tests stay on
 * loopback: 127.0.0.2 is a loopback address other than 127.0.0.1, so whatever still says 127.0.0.1 shows.
 */
describe('the sandbox on a LAN address (--lan 127.0.0.2)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ hostPort: 0, lan: '127.0.0.2', log: () => undefined });
  }, 60000);
  afterAll(() => sandbox?.stop());

  it('serves the host over HTTPS and the simulator on the address, and Graph notifies the host there', async () => {
    const { host, simulator, settings } = sandbox;
    expect(host.url).toMatch(/^https:\/\/127\.0\.0\.2:\d+$/);
    expect(simulator.url).toMatch(/^https:\/\/127\.0\.0\.2:\d+$/);
    expect(simulator.authorityHost).toContain('https://127.0.0.2:');
    expect(settings.RELEASE_GATE_NOTIFICATION_URL).toBe(`${host.url}/api/notifications`);
    expect(settings.RELEASE_GATE_AUTHORITY_HOST).toBe(simulator.authorityHost);
    // A job is decided: the simulator's notification reached the host at its LAN URL.
    const { job } = simulator.tenant.submitJob({
      printerId: simulator.demo!.printers.floor1Color.id,
      userPrincipalName: 'adele@contoso.example',
    });
    await waitFor('the job to be released', () => job.status.state === 'completed', 20000);
  });

  it('names the address in the certificate both servers present', async () => {
    expect(certificateAddresses(path.join(DEFAULT_TLS_DIR, 'server-cert.pem'))).toContain('127.0.0.2');
    for (const url of [sandbox.host.url, sandbox.simulator.url])
      expect(await servedNames(url)).toContain('IP Address:127.0.0.2');
  });

  it('serves the release page there, and the simulated Entra ID accepts its redirect URI only at the address', async () => {
    const { host, simulator } = sandbox;
    const page = await fetch(`${host.url}/api/release?printer=${simulator.demo!.printers.library.id}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const authorize = (redirectUri: string) => {
      const url = new URL(`${simulator.authorityHost}/${simulator.tenantId}/oauth2/v2.0/authorize`);
      const challenge = createHash('sha256').update('verifier').digest('base64url');
      for (const [k, v] of Object.entries({
        client_id: DEMO_APP_CLIENT_ID,
        redirect_uri: redirectUri,
        response_type: 'code',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        scope: 'openid',
      }))
        url.searchParams.set(k, v);
      return fetch(url);
    };
    expect((await authorize(`${host.url}/api/release`)).status).toBe(200);
    const loopback = await authorize(`${host.url.replace('127.0.0.2', '127.0.0.1')}/api/release`);
    expect(loopback.status).toBe(400);
    expect(await loopback.text()).toContain('AADSTS50011');
  });

  it('--lan alone picks the first non-internal IPv4 address; a bad one is refused', () => {
    const nic = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) =>
      ({ address, family, internal, netmask: '', mac: '', cidr: null }) as import('node:os').NetworkInterfaceInfo;
    expect(
      lanAddress(true, {
        lo: [nic('127.0.0.1', 'IPv4', true)],
        eth0: [nic('fe80::1', 'IPv6', false), nic('192.168.1.20', 'IPv4', false)],
      }),
    ).toBe('192.168.1.20');
    expect(() => lanAddress(true, { lo: [nic('127.0.0.1', 'IPv4', true)] })).toThrow(/no network address/);
    expect(() => lanAddress('phone')).toThrow(/IPv4 address .* not "phone"/);
    expect(lanAddress('10.0.0.5')).toBe('10.0.0.5');
  });
});

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { command } from '../../scripts/qr-codes';
import { fileNameFor } from '../../admin/setup/qr-codes';
import { EXIT, runCommand } from '../../admin/cli/cli';
import { SANDBOX_SIGN_IN_NOTE } from '../../admin/setup/admin-sign-in';
import { writeRunning } from '../../sandbox/state-file';
import { recordingTerminal } from '../support/recording-terminal';

/** The admin's QR codes, made against the simulator and read back with a QR decoder. */
describe('QR codes for release printers', () => {
  let sim: Simulator;
  let out: string;
  beforeAll(async () => {
    sim = await startSimulator();
    out = mkdtempSync(path.join(os.tmpdir(), 'qr-'));
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  async function qrCodes(args: string[], env: NodeJS.ProcessEnv = {}) {
    const terminal = recordingTerminal();
    const code = await runCommand(command(terminal, env), args, terminal);
    return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
  }

  it('writes a sticker per printer that scans to the release page with that printer chosen', async () => {
    const { library, floor1Color } = sim.demo!.printers;
    const { code, stdout, stderr } = await qrCodes([
      ...['--function-url', 'https://release-gate-demo.azurewebsites.net'],
      ...['--printers', `${library.id},${floor1Color.id}`],
      ...['--out', out],
      ...['--tenant', sim.tenantId],
      ...['--client-id', DEMO_APP_CLIENT_ID],
      ...['--authority-host', sim.authorityHost],
      ...['--graph-base-url', sim.url],
    ]);
    expect(code).toBe(EXIT.ok);
    // Not against a running sandbox: the device-code prompt is shown (on stderr), once.
    expect(stderr.match(/To sign in/g)).toHaveLength(1);
    expect(readdirSync(out).sort()).toEqual(
      [
        `${fileNameFor({ id: floor1Color.id, displayName: floor1Color.displayName })}.png`,
        `${fileNameFor({ id: floor1Color.id, displayName: floor1Color.displayName })}.svg`,
        `${fileNameFor({ id: library.id, displayName: library.displayName })}.png`,
        `${fileNameFor({ id: library.id, displayName: library.displayName })}.svg`,
        'index.html',
      ].sort(),
    );
    const base = path.join(out, fileNameFor({ id: library.id, displayName: library.displayName }));
    const png = PNG.sync.read(readFileSync(`${base}.png`));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(decoded?.data).toBe(`https://release-gate-demo.azurewebsites.net/api/release?printer=${library.id}`);
    const svg = readFileSync(`${base}.svg`, 'utf8');
    expect(svg).toContain('School Library');
    expect(svg).toContain('School, Main, floor 0');
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('alt="QR code for HQ Floor 1 Color"');
    expect(stdout).toMatch(/Wrote 2 QR code\(s\) to .*\(print index.html for a sheet of stickers\)\.$/);
  });

  it("--sandbox: the running sandbox's tenant and host, no sign-in prompt, into the sandbox's own directory", async () => {
    const state = mkdtempSync(path.join(os.tmpdir(), 'qr-sandbox-'));
    const env = { RELEASE_GATE_SANDBOX_DIR: state };
    try {
      const none = await qrCodes(['--sandbox'], env);
      expect(none.code).toBe(EXIT.failed);
      expect(none.stderr).toMatch(/No sandbox is running: start one with `npm run sandbox`/);
      // As `npm run sandbox -- --lan` announces itself: the host's URL is its LAN address.
      const running = writeRunning(
        {
          simulatorUrl: sim.url,
          hostUrl: 'https://192.168.1.20:7071',
          hostPort: 7071,
          pid: process.pid,
          startedAt: new Date().toISOString(),
          policy: 'demo',
        },
        {
          RELEASE_GATE_TENANT_ID: sim.tenantId,
          RELEASE_GATE_APP_CLIENT_ID: DEMO_APP_CLIENT_ID,
          RELEASE_GATE_AUTHORITY_HOST: sim.authorityHost,
          RELEASE_GATE_GRAPH_BASE_URL: sim.url,
        },
        env,
      );
      // One printer: each PNG takes jest about two seconds.
      const { library } = sim.demo!.printers;
      const { code, stdout, stderr } = await qrCodes(['--sandbox', '--printers', library.id], env);
      expect({ code, stderr }).toEqual({ code: EXIT.ok, stderr: '' });
      expect(stdout.split(SANDBOX_SIGN_IN_NOTE)).toHaveLength(2);
      expect(stdout).not.toMatch(/To sign in/);
      const folder = path.join(running.directory, 'qr-codes');
      expect(stdout).toContain(`to ${folder} (print index.html`);
      expect(readdirSync(folder)).toContain('index.html');
      expect(stdout).toContain(`School Library: https://192.168.1.20:7071/api/release?printer=${library.id}`);
      expect(existsSync(path.join(process.cwd(), 'qr-codes', 'index.html'))).toBe(false);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('answers --help, and refuses bad input with exit 2', async () => {
    const help = await qrCodes(['--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toContain('npm run qr-codes -- --sandbox');
    expect(help.stdout).toMatch(/\.sandbox\/<port>\/qr-codes/);
    const base = ['--tenant', sim.tenantId, '--client-id', DEMO_APP_CLIENT_ID, '--function-url', 'https://x.example'];
    const cases: [string[], RegExp][] = [
      [['--sandox'], /unknown option '--sandox'[\s\S]*Did you mean --sandbox\?/],
      [[], /Missing --function-url, --tenant, --client-id .*--sandbox/],
      [[...base, '--function-url', 'app.example'], /--function-url "app.example" is not a URL/],
      [[...base, '--printers', '[1, 2'], /--printers "\[1, 2" is neither ids separated by commas nor a JSON array/],
      [[...base, '--port', '7071'], /--port goes with --sandbox/],
      [[...base, '--cloud', 'usgv'], /"usgv" is not one of global, usgov, usgovdod\. Did you mean usgov\?/],
      [
        [...base, '--printers', 'no-such-printer', '--authority-host', sim.authorityHost, '--graph-base-url', sim.url],
        /no printer has the id "no-such-printer"/,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await qrCodes(args);
      expect({ args, code }).toEqual({ args, code: EXIT.usage });
      expect(stderr).toMatch(message);
    }
  });

  it('file names are safe whatever the printer is called', () => {
    expect(fileNameFor({ id: 'abcdef12-0000', displayName: '../../Étage 2 / Café: "Mono"' })).toBe(
      'etage-2-cafe-mono-ef120000',
    );
  });
});

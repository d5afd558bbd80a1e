import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AccessToken } from '@azure/core-auth';
import { EXIT, runCommand } from '../../../admin/cli/cli';
import { explainSignInError, signInOnce } from '../../../admin/setup/admin-sign-in';
import { command as setupCommand, EXIT_CONFLICTS, parseSetupArgs } from '../../../scripts/setup';
import { command as doctorCommand } from '../../../scripts/doctor';
import { writeRunning } from '../../../sandbox/state-file';
import { recordingTerminal } from '../../support/recording-terminal';

const TENANT = '9a4c2f1e-7b3d-4e8a-b6c5-0d1e2f3a4b5c';
const env = {
  RELEASE_GATE_TENANT_ID: TENANT,
  RELEASE_GATE_APP_CLIENT_ID: '5c1d8a2b-4e6f-4a7b-9c8d-1e2f3a4b5c6d',
  RELEASE_GATE_FUNCTION_APP_URL: 'https://func.example',
};

async function run(build: typeof setupCommand, args: string[], environment: NodeJS.ProcessEnv = env) {
  const terminal = recordingTerminal();
  const code = await runCommand(build(terminal, environment), args, terminal);
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

describe('npm run setup: its command line', () => {
  it('answers --help with the flags, examples (--sandbox first) and exit codes', async () => {
    const { code, stdout } = await run(setupCommand, ['--help']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/Usage: npm run setup -- \[options\]/);
    expect(stdout).toContain('npm run setup -- --sandbox --dry-run');
    expect(stdout).toMatch(/--pull-queue <name>/);
    expect(stdout).toMatch(new RegExp(`${EXIT_CONFLICTS} {2}a printer carries another app's trigger`));
    // Defaults from the environment are named, never shown (a key must not reach a terminal or a log).
    const withKey = await run(setupCommand, ['--help'], { ...env, RELEASE_GATE_FUNCTION_ADMIN_KEY: 'secret-key' });
    expect(withKey.stdout).not.toContain('secret-key');
    expect(withKey.stdout).toContain('$RELEASE_GATE_FUNCTION_ADMIN_KEY');
  });

  it('refuses bad input with exit 2, echoing the value or naming what is missing', async () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--dry-rn'], env, /unknown option '--dry-rn'[\s\S]*Did you mean --dry-run\?/],
      [['--share-with', 'some'], env, /"some" is not one of all, none/],
      [['--cloud', 'china'], env, /--cloud china: Microsoft Graph offers no Universal Print APIs/],
      [['--cloud', 'globl'], env, /"globl" is not one of global, usgov, usgovdod. Did you mean global\?/],
      [['--share-with', 'none', '--share-with-all-users'], env, /say different things/],
      [['--teardown', '--pull-queue', 'Q'], env, /--teardown cannot be combined/],
      [[], {}, /Missing --tenant and --client-id .*--sandbox/],
      [['--port', 'x'], env, /"x" is not a whole number/],
    ];
    for (const [args, environment, message] of cases) {
      const { code, stderr } = await run(setupCommand, args, environment);
      expect({ args, code }).toEqual({ args, code: EXIT.usage });
      expect(stderr).toMatch(message);
    }
  });

  it('--sandbox without a sandbox running says how to start one (exit 1), and what it fills in when one runs', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'setup-sandbox-'));
    try {
      const { code, stderr } = await run(setupCommand, ['--sandbox', '--dry-run'], { RELEASE_GATE_SANDBOX_DIR: dir });
      expect(code).toBe(EXIT.failed);
      expect(stderr).toMatch(/No sandbox is running: start one with `npm run sandbox`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // With one running: its values, except a flag typed on the command line (the environment's give way).
    const state = mkdtempSync(path.join(os.tmpdir(), 'setup-sandbox-'));
    try {
      const sandboxEnv = { ...env, RELEASE_GATE_SANDBOX_DIR: state, RELEASE_GATE_TASK_DEFINITION_ID: 'azd-def' };
      writeRunning(
        {
          simulatorUrl: 'https://127.0.0.1:8443',
          hostUrl: 'http://127.0.0.1:7071',
          hostPort: 7071,
          pid: process.pid,
          startedAt: new Date().toISOString(),
          policy: 'demo',
          masterKey: 'the-master-key',
        },
        {
          RELEASE_GATE_TENANT_ID: 'sandbox-tenant',
          RELEASE_GATE_APP_CLIENT_ID: 'sandbox-app',
          RELEASE_GATE_TASK_DEFINITION_ID: 'sandbox-def',
          RELEASE_GATE_AUTHORITY_HOST: 'https://127.0.0.1:8443',
          RELEASE_GATE_GRAPH_BASE_URL: 'https://127.0.0.1:8443',
        },
        sandboxEnv,
      );
      expect(parseSetupArgs(['--sandbox', '--tenant', 'typed-tenant'], sandboxEnv)).toMatchObject({
        tenant: 'typed-tenant',
        clientId: 'sandbox-app',
        adminClientId: 'sandbox-app',
        functionUrl: 'http://127.0.0.1:7071',
        functionKey: 'the-master-key',
        taskDefinitionId: 'sandbox-def',
        authorityHost: 'https://127.0.0.1:8443',
        graphBaseUrl: 'https://127.0.0.1:8443',
        cloud: 'global',
        sandbox: true,
      });
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
    // Without --sandbox, the flags and environment as before (the shared parse the doctor uses too).
    expect(parseSetupArgs(['--printers', 'HQ *', '--function-key=-k'], env)).toMatchObject({
      tenant: TENANT,
      functionKey: '-k',
      printers: 'HQ *',
      shareWithAllUsers: true,
      dryRun: false,
    });
  });
});

describe('npm run doctor: its command line', () => {
  it('answers --help with its own exit codes; a bad command line is 3 ("could not run"), as before', async () => {
    const help = await run(doctorCommand, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/2 {2}a check failed/);
    expect(help.stdout).toMatch(/3 {2}could not run: .*a bad command line/);
    expect(help.stdout).toMatch(/--allow-group-rules/);
    const typo = await run(doctorCommand, ['--jsn']);
    expect(typo.code).toBe(3);
    expect(typo.stderr).toMatch(/unknown option '--jsn'[\s\S]*Did you mean --json\?/);
    // With --json, stdout stays JSON, even for a bad command line.
    const jsonTypo = await run(doctorCommand, ['--json', '--printer', 'x']);
    expect(jsonTypo.code).toBe(3);
    expect(JSON.parse(jsonTypo.stdout)).toMatchObject({
      exitCode: 3,
      checks: [{ status: 'fail', detail: expect.stringMatching(/unknown option '--printer'/) }],
    });
    const credential = await run(doctorCommand, ['--app-credential', 'password', '--json']);
    expect(credential.code).toBe(3);
    expect(JSON.parse(credential.stdout).checks[0].detail).toMatch(/--app-credential "password" is not/);
  });
});

describe('the admin signs in once per run', () => {
  const token = (expiresInMs: number): AccessToken => ({ token: 't', expiresOnTimestamp: Date.now() + expiresInMs });

  it('one sign-in for every call, even those made while it is under way; renewed only near expiry', async () => {
    let signIns = 0;
    let life = 3_600_000;
    const credential = signInOnce({
      getToken: async () => {
        signIns++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return token(life);
      },
    });
    const scope = 'https://graph.microsoft.com/.default';
    await Promise.all(Array.from({ length: 6 }, () => credential.getToken(scope)));
    await credential.getToken([scope]);
    expect(signIns).toBe(1);
    // A second sign-in when the token has under two minutes left.
    life = 60_000;
    const fresh = signInOnce({ getToken: async () => (signIns++, token(life)) });
    await fresh.getToken(scope);
    await fresh.getToken(scope);
    expect(signIns).toBe(3);
  });

  it('a failed sign-in is explained and not kept: the next call tries again', async () => {
    let calls = 0;
    const credential = signInOnce(
      {
        getToken: async () => {
          if (++calls === 1) throw new Error('endpoints_resolution_error: see aka.ms');
          return token(3_600_000);
        },
      },
      async (error) => new Error(`explained: ${(error as Error).message}`),
    );
    await expect(credential.getToken('s')).rejects.toThrow(/^explained: endpoints_resolution_error/);
    await expect(credential.getToken('s')).resolves.toMatchObject({ token: 't' });
  });

  it("translates MSAL's endpoints_resolution_error: certificate not trusted, or authority unreachable", async () => {
    const msal = new Error('endpoints_resolution_error: See https://aka.ms/msal.js.errors#endpoints_resolution_error');
    const failing = (code: string) => async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
    };
    const sandbox = { host: 'https://127.0.0.1:8443', tenant: TENANT };
    const untrusted = await explainSignInError(msal, sandbox, failing('SELF_SIGNED_CERT_IN_CHAIN'));
    expect(untrusted.message).toMatch(/certificate of https:\/\/127.0.0.1:8443 is not trusted .*NODE_EXTRA_CA_CERTS/);
    expect(untrusted.cause).toBe(msal);
    // A real probe of a loopback port nobody listens on (any more).
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const refused = await explainSignInError(msal, { host: `https://127.0.0.1:${port}`, tenant: TENANT });
    expect(refused.message).toMatch(/cannot be reached \(ECONNREFUSED\)\. Is the sandbox running/);
    const cloud = await explainSignInError(
      msal,
      { host: 'https://login.example', tenant: TENANT },
      failing('ENOTFOUND'),
    );
    expect(cloud.message).toMatch(/cannot be reached \(ENOTFOUND\)\. Check --authority-host or --cloud/);
    // Anything else is passed on as it is.
    const other = new Error('AADSTS700016: application not found');
    expect(await explainSignInError(other, sandbox)).toBe(other);
  });
});

import { execFile } from 'node:child_process';
import type { TokenCredential } from '@azure/core-auth';
import { EnvironmentCredential } from '@azure/identity';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import {
  keyVaultStandInClientOptions,
  startKeyVaultStandIn,
  type KeyVaultStandIn,
} from '../../sandbox/key-vault-stand-in';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { parseDoctorArgs, type DoctorOptions } from '../../src/doctor/doctor-options';
import { DoctorCannotRun, exitCodeOf, formatReport, type DoctorCheck } from '../../src/doctor/report';
import { runDoctor } from '../../src/doctor/run-doctor';
import { managedIdentityCredential } from '../../src/secrets/credentials';
import { adminPrintApi } from '../../src/setup/admin-sign-in';
import { main } from '../../scripts/doctor';
import { waitFor } from '../support/wait';

/**
 * `npm run doctor` against a real sandbox (simulator, local host, Azurite) and the Key Vault stand-in:
 * all green when everything is set up, then each fault it must name, one at a time, each put back after.
 */
describe('npm run doctor', () => {
  let sandbox: Sandbox;
  let kv: KeyVaultStandIn;
  let argv: string[];
  let env: NodeJS.ProcessEnv;
  let options: DoctorOptions;
  const savedEnv = { ...process.env };

  const doctor = async (overrides: Partial<DoctorOptions> = {}, keyVaultCredential?: TokenCredential) => {
    const merged = { ...options, ...overrides };
    const checks = await runDoctor(merged, {
      admin: adminPrintApi(merged, () => undefined),
      keyVaultCredential: keyVaultCredential ?? managedIdentityCredential(),
      keyVaultClientOptions: keyVaultStandInClientOptions,
    });
    return { checks, code: exitCodeOf(checks), byName: (name: string) => checks.find((c) => c.name === name) };
  };
  const failing = (checks: DoctorCheck[]) => checks.filter((c) => c.status !== 'ok').map((c) => c.name);
  const subscription = () => [...sandbox.simulator.tenant.subscriptions.values()][0]!;

  beforeAll(async () => {
    kv = await startKeyVaultStandIn();
    // The admin's Azure credential for Key Vault: the stand-in's identity endpoint.
    Object.assign(process.env, kv.identityEnvironment);
    kv.setSecret('graph-client-state', 'a-client-state');
    kv.setSecret('notification-function-key', 'a-function-key');
    kv.setSecret('graph-app-secret', 'an-app-secret');
    sandbox = await startSandbox({ hostPort: 0, log: () => undefined });
    argv = [
      '--function-url',
      sandbox.host.url,
      '--key-vault-uri',
      kv.vaultUrl,
      '--authority-host',
      sandbox.simulator.authorityHost,
      '--graph-base-url',
      sandbox.simulator.url,
      '--printers',
      'all',
    ];
    // What `eval "$(azd env get-values)"` gives: the demo app has both opt-in permissions.
    env = {
      RELEASE_GATE_TENANT_ID: sandbox.simulator.tenantId,
      RELEASE_GATE_APP_CLIENT_ID: DEMO_APP_CLIENT_ID,
      RELEASE_GATE_TASK_DEFINITION_ID: sandbox.taskDefinitionId,
      RELEASE_GATE_ALLOW_GROUP_RULES: 'true',
      RELEASE_GATE_ALLOW_BADGE_RELEASE: 'true',
      // The sandbox's app signs in with a client secret (in Azure: the managed identity, no secret).
      RELEASE_GATE_APP_CREDENTIAL: 'secret',
    };
    options = parseDoctorArgs(argv, env);
    // One decided job, so the activity check has something to find.
    const { task } = sandbox.simulator.tenant.submitJob({
      printerId: sandbox.simulator.demo!.printers.floor1Color.id,
      userPrincipalName: 'adele@contoso.example',
    });
    await waitFor(
      'the job to be decided',
      () => sandbox.simulator.tenant.tasks.get(task!.id)?.status.state === 'completed',
    );
  }, 60000);
  afterAll(async () => {
    process.env = savedEnv;
    await sandbox?.stop();
    await kv?.stop();
  });

  it('is all green on a set-up sandbox, one line per check', async () => {
    const { checks, code } = await doctor();
    expect(failing(checks)).toEqual([]);
    expect(code).toBe(0);
    expect(checks.map((c) => c.name)).toEqual([
      'Function App',
      'Application permissions',
      'Secret graph-client-state',
      'Secret notification-function-key',
      'Secret graph-app-secret',
      'Task definition',
      'Task triggers',
      "Other apps' triggers",
      'Pull queue "Follow-me Pull Queue"',
      'Graph subscription',
      'Notification URL',
      'Lifecycle URL',
      'Last activity',
      'Poison queue',
    ]);
    const byName = Object.fromEntries(checks.map((c) => [c.name, c.detail]));
    expect(byName['Task triggers']).toMatch(/ours on all 5 intended printer\(s\)/);
    expect(byName['Task definition']).toContain(sandbox.taskDefinitionId);
    expect(byName['Notification URL']).toMatch(/answers the validation handshake/);
    expect(byName['Last activity']).toMatch(/last notification 20\d\d-.*last decision 20\d\d-/);
    const report = formatReport(checks);
    expect(report.at(-1)).toBe(`${checks.length} ok, 0 warning(s), 0 failed.`);
    if (process.env.RELEASE_GATE_PRINT_DOCTOR_SAMPLE) console.log(report.join('\n'));
  });

  it('names a missing Key Vault secret; the app secret only in secret mode', async () => {
    kv.deleteSecret('notification-function-key');
    kv.deleteSecret('graph-app-secret');
    try {
      const { byName, code } = await doctor();
      expect(byName('Secret notification-function-key')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^missing from 127\.0\.0\.1:\d+: the function key/),
        fix: expect.stringMatching(/az keyvault secret set .*--name notification-function-key/),
      });
      expect(byName('Secret graph-app-secret')).toMatchObject({ status: 'fail' });
      expect(byName('Secret graph-client-state')?.status).toBe('ok');
      expect(code).toBe(2);
      // A secretless (managed identity) app has no app secret to miss.
      expect((await doctor({ appCredential: 'managed-identity' })).byName('Secret graph-app-secret')).toBeUndefined();
    } finally {
      kv.setSecret('notification-function-key', 'a-function-key');
      kv.setSecret('graph-app-secret', 'an-app-secret');
    }
  });

  it('says so when the admin is not signed in to Azure for Key Vault', async () => {
    // A real credential with nothing to sign in with (no AZURE_CLIENT_ID… in the environment).
    for (const name of ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH'])
      delete process.env[name];
    const { byName, code } = await doctor({}, new EnvironmentCredential());
    expect(byName('Secret graph-client-state')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^not checked: you are not signed in to Azure/),
      fix: 'azd auth login (or az login), then run the doctor again',
    });
    expect(code).toBe(2);
  });

  it('says when the subscription is gone or about to expire', async () => {
    const sub = subscription();
    const saved = sub.expirationDateTime;
    sub.expirationDateTime = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const soon = await doctor();
    expect(soon.byName('Graph subscription')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/expires in [12] h /),
    });
    expect(soon.code).toBe(1);
    sub.expirationDateTime = saved;

    const expire = await fetch(`${sandbox.simulator.url}/_control/subscriptions/${sub.id}/expire`, { method: 'POST' });
    expect(expire.status).toBe(200);
    const gone = await doctor();
    expect(gone.byName('Graph subscription')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^none for print\/taskDefinitions\//),
      fix: expect.stringMatching(/maintain-subscription/),
    });
    expect(gone.byName('Notification URL')).toBeUndefined();
    expect(gone.code).toBe(2);
    // The fix it names works.
    await sandbox.host.runTimer('maintain-subscription');
    expect((await doctor()).code).toBe(0);
  });

  it("finds a dropped trigger on an intended printer, and another app's trigger", async () => {
    const mono = sandbox.simulator.demo!.printers.floor2Mono;
    const saved = mono.trigger;
    delete mono.trigger;
    try {
      const { byName, code } = await doctor();
      expect(byName('Task triggers')).toMatchObject({
        status: 'fail',
        detail: 'ours on 4 of 5; no trigger on "HQ Floor 2 Mono"',
        fix: 'npm run setup -- --printers "HQ Floor 2 Mono"',
      });
      expect(code).toBe(2);
      // Without --printers it only reports where ours is.
      expect((await doctor({ printers: undefined })).byName('Task triggers')?.status).toBe('ok');
      const other = sandbox.simulator.tenant.createDefinition('Another print app', {
        clientId: 'other-app',
        secret: 'x',
        displayName: 'Other',
        applicationPermissions: [],
        delegatedPermissions: [],
      });
      mono.trigger = { id: 'theirs', definitionId: other.id, createdByAppId: 'other-app' };
      const conflict = await doctor();
      expect(conflict.byName('Task triggers')?.detail).toMatch(/another app's trigger on "HQ Floor 2 Mono"/);
      expect(conflict.byName("Other apps' triggers")?.detail).toMatch(/^on "HQ Floor 2 Mono"/);
    } finally {
      mono.trigger = saved;
    }
  });

  it('checks each pull queue is shared and has its printer attributes', async () => {
    const queue = sandbox.simulator.demo!.printers.pullQueue;
    const saved = { isShared: queue.isShared, capabilities: queue.capabilities };
    const name = 'Pull queue "Follow-me Pull Queue"';
    try {
      delete queue.capabilities;
      expect((await doctor()).byName(name)).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(/attributes \(capabilities\) are not set/),
        fix: `npm run setup -- --adopt ${queue.id} (sets them)`,
      });
      queue.isShared = false;
      const unshared = await doctor();
      expect(unshared.byName(name)).toMatchObject({ status: 'fail', detail: 'not shared: users cannot print to it' });
      expect(unshared.code).toBe(2);
    } finally {
      Object.assign(queue, saved);
    }
  });

  it('finds a revoked application permission, and one granted beyond the opt-ins', async () => {
    const app = sandbox.simulator.tenant.apps.get(DEMO_APP_CLIENT_ID)!;
    const saved = [...app.applicationPermissions];
    app.applicationPermissions = saved.filter((p) => p !== 'PrintJob.Manage.All');
    try {
      const revoked = await doctor();
      expect(revoked.byName('Application permissions')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^not granted: PrintJob\.Manage\.All/),
        fix: expect.stringMatching(/azd provision/),
      });
      app.applicationPermissions = saved;
      const badgeOff = await doctor({ optIns: ['allowGroupRules'] });
      expect(badgeOff.byName('Application permissions')).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(/more than needed: User\.Read\.All/),
        fix: expect.stringMatching(/azd env set RELEASE_GATE_ALLOW_BADGE_RELEASE true/),
      });
      // Without the delegated Application.Read.All the admin's token cannot read them: the doctor says so.
      app.delegatedPermissions = app.delegatedPermissions.filter((p) => p !== 'Application.Read.All');
      const noConsent = await doctor();
      expect(noConsent.byName('Application permissions')).toMatchObject({
        status: 'fail',
        fix: expect.stringMatching(/Application\.Read\.All/),
      });
    } finally {
      app.applicationPermissions = saved;
      if (!app.delegatedPermissions.includes('Application.Read.All'))
        app.delegatedPermissions.push('Application.Read.All');
    }
  });

  it('tells a wrong function key (401) from a right one on both subscribed URLs', async () => {
    // The Functions host's check for authLevel function: 401 unless ?code= is the key. (The local host
    // does not enforce keys yet, so a loopback endpoint plays that part and forwards the handshake.)
    const endpoint = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.searchParams.get('code') !== 'the-right-key') return res.writeHead(401).end();
      res
        .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        .end(url.searchParams.get('validationToken') ?? '');
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/api`;
    const sub = subscription();
    const saved = { notificationUrl: sub.notificationUrl, lifecycle: sub.lifecycleNotificationUrl };
    try {
      sub.notificationUrl = `${base}/notifications?code=a-wrong-key`;
      sub.lifecycleNotificationUrl = `${base}/lifecycle?code=the-right-key`;
      const { byName, code } = await doctor();
      expect(byName('Notification URL')).toMatchObject({
        status: 'fail',
        detail: `${base}/notifications?code=***: 401: the function key in the URL is wrong or missing`,
        fix: expect.stringMatching(/notification-function-key .*--function-name notifications/),
      });
      expect(byName('Lifecycle URL')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/with its key$/) });
      expect(JSON.stringify(byName('Notification URL'))).not.toContain('a-wrong-key');
      expect(code).toBe(2);
    } finally {
      Object.assign(sub, { notificationUrl: saved.notificationUrl, lifecycleNotificationUrl: saved.lifecycle });
      await new Promise((resolve) => endpoint.close(resolve));
    }
  });

  it('exits 3 when it cannot run: configuration missing, or the admin cannot be signed in', async () => {
    expect(() => parseDoctorArgs(['--tenant', 't'], {})).toThrow(DoctorCannotRun);
    const printed: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main(['--json'], {})).toBe(3);
      expect(JSON.parse(printed.pop()!)).toMatchObject({
        exitCode: 3,
        checks: [{ status: 'fail', name: 'Doctor', detail: expect.stringMatching(/^Missing --tenant/) }],
      });
      // An app the tenant does not know: Entra refuses the sign-in.
      const unknownApp = '99999999-2222-4333-8444-555555555555';
      expect(await main([...argv, '--json'], { ...env, RELEASE_GATE_APP_CLIENT_ID: unknownApp })).toBe(3);
      expect(JSON.parse(printed.pop()!).checks[0].detail).toMatch(/^Sign-in failed/);
    } finally {
      spy.mockRestore();
      errors.mockRestore();
    }
  });

  it('runs as a command: --json on stdout, the exit code per outcome', async () => {
    const run = (extra: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(
          process.execPath,
          [require.resolve('tsx/cli'), path.join(__dirname, '..', '..', 'scripts', 'doctor.ts'), ...argv, ...extra],
          { env: { ...process.env, ...env }, timeout: 60_000 },
          (error, stdout) => resolve({ code: error ? Number(error.code) : 0, stdout }),
        );
      });
    const green = await run(['--json']);
    const report = JSON.parse(green.stdout) as { exitCode: number; checks: DoctorCheck[] };
    expect(report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(report.exitCode).toBe(0);
    expect(green.code).toBe(0);
    expect(report.checks.every((c) => c.status === 'ok' && c.name && c.detail)).toBe(true);

    // The human report and exit code 2, through the same entry point (in-process: one child is enough).
    kv.deleteSecret('graph-client-state');
    const printed: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    try {
      expect(await main(argv, env)).toBe(2);
      const red = printed.join('\n');
      expect(red).toMatch(/^✘ Secret graph-client-state +missing from/m);
      expect(red).toMatch(/^ +fix: azd provision/m);
      expect(red).toMatch(/, 1 failed\.$/m);
    } finally {
      spy.mockRestore();
      kv.setSecret('graph-client-state', 'a-client-state');
    }
  }, 60000);
});

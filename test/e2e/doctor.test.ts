import { execFile } from 'node:child_process';
import type { TokenCredential } from '@azure/core-auth';
import { EnvironmentCredential } from '@azure/identity';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import {
  keyVaultStandInClientOptions,
  startKeyVaultStandIn,
  type KeyVaultStandIn,
} from '../../sandbox/key-vault-stand-in';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { parseDoctorArgs, type DoctorOptions } from '../../admin/doctor/doctor-options';
import { DoctorCannotRun, exitCodeOf, formatReport, type DoctorCheck } from '../../admin/doctor/report';
import { runDoctor } from '../../admin/doctor/run-doctor';
import { managedIdentityCredential } from '../../src/identity/managed-identity';
import { adminPrintApi } from '../../admin/setup/admin-sign-in';
import { main } from '../../scripts/doctor';
import { recordingTerminal } from '../support/recording-terminal';
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
      // The host enforces authLevel admin on /api/setup/*: the admin passes the master key, as in Azure.
      `--function-key=${sandbox.host.keys.master}`, // `=`: a random key may start with -
      '--key-vault-uri',
      kv.vaultUrl,
      '--authority-host',
      sandbox.simulator.authorityHost,
      '--graph-base-url',
      sandbox.simulator.url,
      '--printers',
      'all',
    ];
    // What `eval "$(azd env get-values)"` gives: the demo app has every opt-in permission.
    env = {
      RELEASE_GATE_TENANT_ID: sandbox.simulator.tenantId,
      RELEASE_GATE_APP_CLIENT_ID: DEMO_APP_CLIENT_ID,
      RELEASE_GATE_TASK_DEFINITION_ID: sandbox.taskDefinitionId,
      RELEASE_GATE_ALLOW_GROUP_RULES: 'true',
      RELEASE_GATE_ALLOW_BADGE_RELEASE: 'true',
      RELEASE_GATE_ALLOW_PULL_QUEUE_SETUP: 'true',
      RELEASE_GATE_ALLOW_DELEGATION: 'true',
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
      // The sandbox sends user messages: the messages no try could send would be parked here.
      'Parked messages',
    ]);
    const byName = Object.fromEntries(checks.map((c) => [c.name, c.detail]));
    expect(byName['Task triggers']).toMatch(/ours on all 5 intended printer\(s\)/);
    expect(byName['Task definition']).toContain(sandbox.taskDefinitionId);
    expect(byName['Notification URL']).toMatch(/answers the validation handshake/);
    expect(byName['Last activity']).toMatch(/last notification 20\d\d-.*last decision 20\d\d-/);
    expect(byName['Parked messages']).toBe('releasegate-messages-poison empty');
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

  it('checks each pull queue is shared, accepts jobs and has the printer attributes set-up writes', async () => {
    const queue = sandbox.simulator.demo!.printers.pullQueue;
    const saved = {
      isShared: queue.isShared,
      capabilities: queue.capabilities,
      isAcceptingJobs: queue.isAcceptingJobs,
    };
    const name = 'Pull queue "Follow-me Pull Queue"';
    const fix = `npm run setup -- --adopt ${queue.id} (sets them)`;
    try {
      // Set-up's own comparison: Graph no longer shows the formats and copies it wrote.
      delete queue.capabilities;
      expect((await doctor()).byName(name)).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(
          /attributes differ from set-up's \(capabilities\.contentTypes lacks application\/pdf/,
        ),
        fix,
      });
      // As Graph shows a virtual printer no one gave attributes: not accepting jobs.
      queue.isAcceptingJobs = null;
      const fresh = await doctor();
      expect(fresh.byName(name)).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^shared, but not accepting jobs: .*isAcceptingJobs is null/),
        fix,
      });
      expect(fresh.code).toBe(2);
      // Without the opt-in the app may not write them: the fix says to switch it on first.
      expect((await doctor({ optIns: ['allowGroupRules', 'allowBadgeRelease'] })).byName(name)?.fix).toBe(
        `azd env set RELEASE_GATE_ALLOW_PULL_QUEUE_SETUP true && azd provision, then ${fix}`,
      );
      queue.isShared = false;
      const unshared = await doctor();
      expect(unshared.byName(name)).toMatchObject({ status: 'fail', detail: 'not shared: users cannot print to it' });
      expect(unshared.code).toBe(2);
    } finally {
      Object.assign(queue, saved);
    }
    expect((await doctor()).byName(name)).toMatchObject({
      status: 'ok',
      detail: 'shared, accepting jobs, printer attributes as set-up writes them',
    });
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
      const badgeOff = await doctor({ optIns: ['allowGroupRules', 'allowPullQueueSetup', 'allowDelegation'] });
      expect(badgeOff.byName('Application permissions')).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(
          /more than needed: User\.Read\.All \(its opt-in allowBadgeRelease or allowMessages is off\)/,
        ),
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
    // The real local host, which enforces authLevel function: only the URL's code= is tampered with.
    const sub = subscription();
    const saved = { notificationUrl: sub.notificationUrl, lifecycleNotificationUrl: sub.lifecycleNotificationUrl };
    const withCode = (url: string, code: string) => url.replace(/([?&]code=)[^&#]*/, `$1${code}`);
    expect(saved.notificationUrl).toMatch(/[?&]code=/);
    expect(saved.lifecycleNotificationUrl).toMatch(/[?&]code=/);
    try {
      sub.notificationUrl = withCode(saved.notificationUrl, 'a-wrong-key');
      const { byName, code } = await doctor();
      expect(byName('Notification URL')).toMatchObject({
        status: 'fail',
        detail: `${withCode(saved.notificationUrl, '***')}: 401: the function key in the URL is wrong or missing`,
        fix: expect.stringMatching(/host key graph-notifications.*notification-function-key: azd provision/),
      });
      expect(byName('Lifecycle URL')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/with its key$/) });
      expect(JSON.stringify(byName('Notification URL'))).not.toContain('a-wrong-key');
      expect(code).toBe(2);

      sub.notificationUrl = saved.notificationUrl;
      sub.lifecycleNotificationUrl = withCode(saved.lifecycleNotificationUrl!, 'another-wrong-key');
      const lifecycle = await doctor();
      expect(lifecycle.byName('Notification URL')?.status).toBe('ok');
      expect(lifecycle.byName('Lifecycle URL')).toMatchObject({
        status: 'fail',
        detail: `${withCode(saved.lifecycleNotificationUrl!, '***')}: 401: the function key in the URL is wrong or missing`,
      });
    } finally {
      Object.assign(sub, saved);
    }
    expect((await doctor()).code).toBe(0);
  });

  it("says when the Function App refuses the master key, and does not guess the triggers' owner without it", async () => {
    for (const [functionKey, why] of [
      [undefined, 'no key given'],
      // The host key Graph sends opens function-level routes, not admin ones.
      [sandbox.settings.RELEASE_GATE_FUNCTION_KEY, 'the key given is not its master key'],
    ] as const) {
      const { byName, code, checks } = await doctor({ functionKey });
      expect(byName('Function App')).toEqual({
        status: 'fail',
        name: 'Function App',
        detail: `the Function App refused the key: ${sandbox.host.url}/api/setup/doctor answered 401 (${why})`,
        fix: expect.stringMatching(/^pass the master key: --function-key=.*--query masterKey/),
      });
      expect(byName('Task triggers')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^not checked: the trigger record .*needs the app's master key/),
      });
      // What does not need the app is still checked.
      expect(byName('Application permissions')?.status).toBe('ok');
      expect(checks.map((c) => c.name)).not.toContain('Graph subscription');
      expect(code).toBe(2);
    }
    // The command: the same line, exit code 2 (a check failed).
    const printed: string[] = [];
    const terminal = { ...recordingTerminal(), out: (line: string) => void printed.push(line) };
    const withoutKey = argv.filter((a) => !a.startsWith('--function-key='));
    expect(await main([...withoutKey, '--function-key', 'not-the-master-key'], env, terminal)).toBe(2);
    expect(printed.join('\n')).toMatch(
      /^✘ Function App +the Function App refused the key: .*401 \(the key given is not its master key\)$/m,
    );
    expect(printed.join('\n')).not.toContain('not-the-master-key');
  });

  it('exits 3 when it cannot run: configuration missing, or the admin cannot be signed in', async () => {
    expect(() => parseDoctorArgs(['--tenant', 't'], {})).toThrow(DoctorCannotRun);
    const printed: string[] = [];
    const terminal = { ...recordingTerminal(), out: (line: string) => void printed.push(line) };
    expect(await main(['--json'], {}, terminal)).toBe(3);
    expect(JSON.parse(printed.pop()!)).toMatchObject({
      exitCode: 3,
      checks: [{ status: 'fail', name: 'Doctor', detail: expect.stringMatching(/^Missing --tenant/) }],
    });
    // An app the tenant does not know: Entra refuses the sign-in.
    const unknownApp = '99999999-2222-4333-8444-555555555555';
    expect(await main([...argv, '--json'], { ...env, RELEASE_GATE_APP_CLIENT_ID: unknownApp }, terminal)).toBe(3);
    expect(JSON.parse(printed.pop()!).checks[0].detail).toMatch(/^Sign-in failed/);
  });

  it('runs as a command: --json on stdout, the exit code per outcome', async () => {
    const run = (extra: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', path.join(__dirname, '..', '..', 'scripts', 'doctor.ts'), ...argv, ...extra],
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
    const terminal = { ...recordingTerminal(), out: (line: string) => void printed.push(line) };
    try {
      expect(await main(argv, env, terminal)).toBe(2);
      const red = printed.join('\n');
      expect(red).toMatch(/^✘ Secret graph-client-state +missing from/m);
      expect(red).toMatch(/^ +fix: azd provision/m);
      expect(red).toMatch(/, 1 failed\.$/m);
    } finally {
      kv.setSecret('graph-client-state', 'a-client-state');
    }
  }, 60000);
});

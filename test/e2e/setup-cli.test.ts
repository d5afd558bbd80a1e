import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { command, parseSetupArgs, runSetup, SANDBOX_SIGN_IN_NOTE, type SetupOptions } from '../../scripts/setup';
import { runCommand } from '../../admin/cli/cli';
import { writeRunning } from '../../sandbox/state-file';
import { recordingTerminal } from '../support/recording-terminal';
import { adminPrintApi } from '../../admin/setup/admin-sign-in';
import { listTriggerOwnership } from '../../admin/setup/printer-triggers';
import { setupApp } from '../../admin/setup/setup-app';

/** The admin's set-up CLI against the sandbox: device-code sign-in, the app's endpoint, triggers. */
describe('npm run setup', () => {
  let sandbox: Sandbox;
  let base: SetupOptions;
  const triggers = () =>
    [...sandbox.simulator.tenant.printers.values()]
      .filter((p) => p.trigger?.definitionId === sandbox.taskDefinitionId)
      .map((p) => p.displayName)
      .sort();

  const env = () => ({
    RELEASE_GATE_TENANT_ID: sandbox.simulator.tenantId,
    RELEASE_GATE_APP_CLIENT_ID: DEMO_APP_CLIENT_ID,
    RELEASE_GATE_FUNCTION_APP_URL: sandbox.host.url,
    RELEASE_GATE_AUTHORITY_HOST: sandbox.simulator.authorityHost,
    RELEASE_GATE_GRAPH_BASE_URL: sandbox.simulator.url,
  });

  beforeAll(async () => {
    sandbox = await startSandbox({ hostPort: 0, log: () => undefined });
    // POST /api/setup/* is admin level: the master key, as in Azure.
    base = parseSetupArgs([`--function-key=${sandbox.host.keys.master}`], env());
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it('says so when the app refuses the key (the admin endpoint takes only the master key)', async () => {
    await expect(runSetup({ ...base, functionKey: sandbox.host.keys.host.default }, () => undefined)).rejects.toThrow(
      /refused the key: pass the app's master key with --function-key/,
    );
  });

  it('refuses to start without what it needs, saying what is missing', () => {
    expect(() => parseSetupArgs([], {})).toThrow(/Missing --tenant and --client-id/);
    // The app keeps the trigger record, so it is needed even with a task definition id.
    expect(() => parseSetupArgs(['--tenant', 't', '--client-id', 'c', '--task-definition-id', 'd'], {})).toThrow(
      /Give --function-url .*record of Release Gate's task triggers/,
    );
  });

  it('--sandbox takes everything from the running sandbox: signs in without a prompt, sees our triggers as ours', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'setup-sandbox-'));
    try {
      const hostPort = Number(new URL(sandbox.host.url).port);
      writeRunning(
        {
          simulatorUrl: sandbox.simulator.url,
          hostUrl: sandbox.host.url,
          hostPort,
          pid: process.pid,
          startedAt: new Date().toISOString(),
          policy: 'demo',
          masterKey: sandbox.host.keys.master,
        },
        sandbox.settings,
        { RELEASE_GATE_SANDBOX_DIR: dir },
      );
      const terminal = recordingTerminal();
      const code = await runCommand(
        command(terminal, { RELEASE_GATE_SANDBOX_DIR: dir }),
        ['--sandbox', '--port', String(hostPort), '--dry-run'],
        terminal,
      );
      expect({ code, stderr: terminal.stderr() }).toEqual({ code: 0, stderr: '' });
      const out = terminal.stdout();
      expect(out.split(SANDBOX_SIGN_IN_NOTE)).toHaveLength(2); // once
      expect(out).not.toMatch(/To sign in/);
      expect(out.match(/ours +keep/g)).toHaveLength(5);
      expect(out).toMatch(/Dry run: 0 change\(s\) would be made, 0 conflict\(s\)\./);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('teardown removes our (recorded) triggers and forgets them; a dry run then plans them back and changes nothing', async () => {
    expect(triggers()).toHaveLength(5);
    const lines: string[] = [];
    const teardown = await runSetup({ ...base, teardown: true }, (l) => lines.push(l));
    expect(teardown).toMatchObject({ changes: 5, conflicts: 0, taskDefinitionId: sandbox.taskDefinitionId });
    expect(lines).toContain(`Found the task definition ${sandbox.taskDefinitionId}.`);
    // One sign-in for the whole run (the Graph SDK asks for a token per request, several at once).
    expect(lines.filter((l) => l.startsWith('To sign in'))).toHaveLength(1);
    expect(triggers()).toEqual([]);
    expect(await setupApp(sandbox.host.url, sandbox.host.keys.master).triggerRecord.list()).toEqual([]);

    const dry = await runSetup({ ...base, dryRun: true, taskDefinitionId: sandbox.taskDefinitionId }, () => undefined);
    expect(dry.changes).toBe(0);
    expect(triggers()).toEqual([]);
  });

  it('puts triggers on the chosen printers, and running it again changes nothing', async () => {
    const first = await runSetup({ ...base, printers: 'HQ *' }, () => undefined);
    expect(first.changes).toBe(2);
    expect(triggers()).toEqual(['HQ Floor 1 Color', 'HQ Floor 2 Mono']);
    const again = await runSetup({ ...base, printers: 'HQ *' }, () => undefined);
    expect(again.changes).toBe(0);
  });

  it("reports a printer that has another app's trigger and leaves it alone", async () => {
    const library = sandbox.simulator.demo!.printers.library;
    const other = sandbox.simulator.tenant.createDefinition('Another print app', {
      clientId: 'other-app',
      secret: 'x',
      displayName: 'Other',
      applicationPermissions: [],
      delegatedPermissions: [],
    });
    library.trigger = { id: 'someone-elses', definitionId: other.id, createdByAppId: 'other-app' };
    const lines: string[] = [];
    const result = await runSetup({ ...base, printers: 'all' }, (l) => lines.push(l));
    expect(result.conflicts).toBe(1);
    expect(lines.find((l) => l.startsWith('School Library'))).toMatch(
      /other\s+conflict: another app's or an unknown task trigger/,
    );
    expect(library.trigger.id).toBe('someone-elses');
    expect(triggers()).toEqual(['Follow-me Pull Queue', 'HQ Floor 1 Color', 'HQ Floor 2 Mono', 'HR Confidential']);
  });

  it('never removes a trigger it did not record, even one on our own definition; ownership lists it as not ours', async () => {
    const hr = sandbox.simulator.demo!.printers.hr;
    const ours = hr.trigger!;
    // Made outside set-up (the portal, an older version, another tool): not in the record.
    hr.trigger = { id: 'unrecorded', definitionId: sandbox.taskDefinitionId, createdByAppId: DEMO_APP_CLIENT_ID };
    try {
      const app = setupApp(sandbox.host.url, sandbox.host.keys.master);
      const admin = adminPrintApi(base, () => undefined);
      const ownership = await listTriggerOwnership(admin, app.triggerRecord, { printerIds: [hr.id] });
      expect(ownership.printers).toEqual([
        { printerId: hr.id, displayName: hr.displayName, trigger: 'other', triggerId: 'unrecorded' },
      ]);
      // Our recorded trigger on HR is gone from the printer: a stale record, forgotten by teardown.
      expect(ownership.staleRecords).toEqual([expect.objectContaining({ printerId: hr.id, triggerId: ours.id })]);
      const lines: string[] = [];
      await runSetup({ ...base, teardown: true }, (l) => lines.push(l));
      expect(hr.trigger.id).toBe('unrecorded');
      expect(lines.find((l) => l.startsWith('HR Confidential'))).toMatch(/other\s+keep/);
      expect(lines).toContain(`Recorded trigger ${ours.id} is no longer on printer ${hr.id}.`);
      expect(await app.triggerRecord.list()).toEqual([]);
    } finally {
      hr.trigger = ours;
    }
  });

  it("claims a printer's unrecorded trigger on the admin's word; teardown then removes it", async () => {
    const hr = sandbox.simulator.demo!.printers.hr;
    const triggerId = hr.trigger!.id; // on the printer, not in the record (see the test above)
    const claim = parseSetupArgs(['--claim-trigger', hr.id, `--function-key=${sandbox.host.keys.master}`], {
      ...env(),
      RELEASE_GATE_TASK_DEFINITION_ID: sandbox.taskDefinitionId,
    });
    expect(claim.printers).toBe(''); // touches no other printer
    const lines: string[] = [];
    expect((await runSetup(claim, (l) => lines.push(l))).changes).toBe(1);
    expect(lines).toContain(`Recorded the trigger ${triggerId} on printer ${hr.id} as Release Gate's.`);
    expect(await runSetup(claim, () => undefined)).toMatchObject({ changes: 0 });
    await runSetup({ ...base, teardown: true }, () => undefined);
    expect(hr.trigger).toBeUndefined();
  });
});

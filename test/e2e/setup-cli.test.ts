import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { parseSetupArgs, runSetup, type SetupOptions } from '../../scripts/setup';

/** The admin's set-up CLI against the sandbox: device-code sign-in, the app's endpoint, triggers. */
describe('npm run setup', () => {
  let sandbox: Sandbox;
  let base: SetupOptions;
  const triggers = () =>
    [...sandbox.simulator.tenant.printers.values()]
      .filter((p) => p.trigger?.definitionId === sandbox.taskDefinitionId)
      .map((p) => p.displayName)
      .sort();

  beforeAll(async () => {
    sandbox = await startSandbox({ hostPort: 0, log: () => undefined });
    base = parseSetupArgs(
      [
        '--function-url',
        sandbox.host.url,
        '--function-key', // POST /api/setup/task-definition is admin level: the master key, as in Azure
        sandbox.host.keys.master,
        '--authority-host',
        sandbox.simulator.authorityHost,
        '--graph-base-url',
        sandbox.simulator.url,
      ],
      {
        RELEASE_GATE_TENANT_ID: sandbox.simulator.tenantId,
        RELEASE_GATE_APP_CLIENT_ID: DEMO_APP_CLIENT_ID,
      },
    );
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it('says so when the app refuses the key (the admin endpoint takes only the master key)', async () => {
    await expect(runSetup({ ...base, functionKey: sandbox.host.keys.host.default }, () => undefined)).rejects.toThrow(
      /refused the key: pass the app's master key with --function-key/,
    );
  });

  it('refuses to start without what it needs, saying what is missing', () => {
    expect(() => parseSetupArgs([], {})).toThrow(/Missing --tenant and --client-id/);
    expect(() => parseSetupArgs(['--tenant', 't', '--client-id', 'c'], {})).toThrow(
      /--function-url .* or --task-definition-id/,
    );
  });

  it('teardown removes our triggers; a dry run then plans them back and changes nothing', async () => {
    expect(triggers()).toHaveLength(5);
    const lines: string[] = [];
    const teardown = await runSetup({ ...base, teardown: true }, (l) => lines.push(l));
    expect(teardown).toMatchObject({ changes: 5, conflicts: 0, taskDefinitionId: sandbox.taskDefinitionId });
    expect(lines).toContain(`Found the task definition ${sandbox.taskDefinitionId}.`);
    expect(triggers()).toEqual([]);

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
    expect(lines.find((l) => l.startsWith('School Library'))).toMatch(/other\s+conflict: another app's task trigger/);
    expect(library.trigger.id).toBe('someone-elses');
    expect(triggers()).toEqual(['Follow-me Pull Queue', 'HQ Floor 1 Color', 'HQ Floor 2 Mono', 'HR Confidential']);
  });
});

import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { HostLogEntry } from '../../sandbox/host/invocation';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { parseSetupArgs, runSetup, type SetupOptions } from '../../scripts/setup';
import { adminPrintApi } from '../../admin/setup/admin-sign-in';
import { ensurePullQueue } from '../../admin/setup/pull-queue';
import { setupApp } from '../../admin/setup/setup-app';
import { waitFor } from '../support/wait';

/**
 * Registering pull queues with the set-up CLI against the sandbox (the real Graph SDK and device-code
 * sign-in, the simulator's Graph): a real CSR, the long-running operation followed to its end, the
 * printer attributes (IPP, written by the app), the share, the trigger (recorded in the app's storage), and
 * a job on the new queue held for our task definition.
 */
describe('npm run setup -- --pull-queue / --adopt', () => {
  let sandbox: Sandbox;
  let base: SetupOptions;
  const logs: HostLogEntry[] = [];
  const printerNamed = (name: string) =>
    [...sandbox.simulator.tenant.printers.values()].filter((p) => p.displayName === name);
  const sharesOf = (printerId: string) =>
    [...sandbox.simulator.printerRegistry.shares.values()].filter((s) => s.printerId === printerId);
  const operationsFor = (name: string) =>
    [...sandbox.simulator.printerRegistry.operations.values()].filter((o) => o.displayName === name);
  const args = (...extra: string[]) =>
    parseSetupArgs(
      [
        ...['--task-definition-id', sandbox.taskDefinitionId],
        ...['--function-url', sandbox.host.url],
        `--function-key=${sandbox.host.keys.master}`, // /api/setup/* is admin level; `=`: a key may start with -
        ...['--authority-host', sandbox.simulator.authorityHost],
        ...['--graph-base-url', sandbox.simulator.url],
        ...extra,
      ],
      { RELEASE_GATE_TENANT_ID: sandbox.simulator.tenantId, RELEASE_GATE_APP_CLIENT_ID: DEMO_APP_CLIENT_ID },
    );

  beforeAll(async () => {
    // Unshared demo printers: adopting one shares it, as under test.
    sandbox = await startSandbox({ hostPort: 0, log: (e) => logs.push(e), simulator: { seedDemoShares: false } });
    base = args();
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it('registers a pull queue, shares it, puts the trigger on it; a job there raises a task on our definition', async () => {
    const lines: string[] = [];
    const started = Date.now();
    const steps: string[] = [];
    const first = await runSetup(
      args('--pull-queue', 'Pull HQ'),
      (l) => lines.push(l),
      (label) => (
        steps.push(label),
        { done: (result) => void steps.push(`done: ${result}`), fail: (result) => void steps.push(`failed: ${result}`) }
      ),
    );
    // Registration (a long-running operation in Graph) shows progress while it waits.
    expect(steps).toEqual([expect.stringMatching(/^Registering the pull queue "Pull HQ"/), 'done: registered']);
    expect(first).toMatchObject({ changes: 4, conflicts: 0 }); // printer, attributes, share, trigger
    const [queue] = printerNamed('Pull HQ');
    expect(queue).toMatchObject({ hasPhysicalDevice: false, isShared: true, isAcceptingJobs: true });
    // Graph shows the IPP attributes as JSON: what Windows clients are offered.
    expect(queue!.capabilities).toMatchObject({
      contentTypes: ['application/pdf', 'application/oxps', 'image/pwg-raster'],
      duplexModes: ['oneSided', 'flipOnLongEdge', 'flipOnShortEdge'],
      mediaSizes: ['A4', 'North America Letter'],
    });
    expect(lines.some((l) => l.startsWith('Set its printer attributes (IPP'))).toBe(true);
    expect(queue!.trigger?.definitionId).toBe(sandbox.taskDefinitionId);
    expect(sharesOf(queue!.id)).toEqual([expect.objectContaining({ displayName: 'Pull HQ', allowAllUsers: true })]);
    expect(lines).toContain(`Registered the pull queue "Pull HQ" (${queue!.id}).`);
    // Followed through `running` to `succeeded`, waiting the Retry-After (1 s) Graph gave each time.
    const [operation] = operationsFor('Pull HQ');
    expect(operation!.looks).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    // Only the pull queue was touched: no --printers, no trigger table over the other printers.
    expect(lines.some((l) => l.startsWith('Printer '))).toBe(false);

    const { job, task } = sandbox.simulator.tenant.submitJob({
      printerId: queue!.id,
      userPrincipalName: 'adele@contoso.example',
    });
    expect(task).toMatchObject({ definitionId: sandbox.taskDefinitionId, status: { state: 'processing' } });
    expect(job.status.state).toBe('paused');
    await waitFor('the processor took the task', () =>
      logs.some((l) => l.message.includes('"event":"task.finished"') && l.message.includes(task!.id)),
    );
  });

  it('a second run changes nothing and reports what is there', async () => {
    const again = await runSetup(args('--pull-queue', 'pull hq'), () => undefined);
    expect(again.changes).toBe(0);
    expect(printerNamed('Pull HQ')).toHaveLength(1);
    expect(operationsFor('Pull HQ')).toHaveLength(1);

    const admin = adminPrintApi(base, () => undefined);
    const summary = await ensurePullQueue(admin, {
      displayName: 'Pull HQ',
      app: setupApp(sandbox.host.url, sandbox.host.keys.master),
      definition: {
        id: sandbox.taskDefinitionId,
        url: `${sandbox.simulator.url}/v1.0/print/taskDefinitions/${sandbox.taskDefinitionId}`,
      },
      printerUrl: (id) => `${sandbox.simulator.url}/v1.0/print/printers/${id}`,
      allowAllUsers: true,
    });
    const [queue] = printerNamed('Pull HQ');
    expect(summary).toMatchObject({
      printer: { id: queue!.id, displayName: 'Pull HQ' },
      share: { displayName: 'Pull HQ', allowAllUsers: true },
      trigger: { state: 'exists', trigger: { id: queue!.trigger!.id } },
      created: { printer: false, attributes: false, share: false, trigger: false },
    });
    expect(await admin.getShare(summary.share!.id)).toMatchObject({ id: summary.share!.id, displayName: 'Pull HQ' });
  });

  it('adopts an existing printer: shares it (for nobody yet, as asked) and puts the trigger on it', async () => {
    const { tenant, demo } = sandbox.simulator;
    const library = demo!.printers.library;
    delete tenant.printer(library.id).trigger;
    const lines: string[] = [];
    const result = await runSetup(args('--adopt', library.id, '--no-share-with-all-users'), (l) => lines.push(l));
    expect(result.changes).toBe(2); // share (the demo printers have none) and trigger
    expect(sharesOf(library.id)).toEqual([expect.objectContaining({ allowAllUsers: false })]);
    expect(tenant.printer(library.id).trigger?.definitionId).toBe(sandbox.taskDefinitionId);
    expect(lines).toContain(`Adopting the pull queue "${library.displayName}" (${library.id}).`);
    expect(lines.some((l) => l.includes('grant users in the Universal Print portal'))).toBe(true);
  });

  it("reports another app's trigger on an adopted printer as a conflict and leaves it", async () => {
    const { tenant, demo } = sandbox.simulator;
    const printer = tenant.printer(demo!.printers.floor1Color.id);
    const ours = printer.trigger;
    const theirs = tenant.createDefinition('Another print app', {
      clientId: 'other-app',
      secret: 'x',
      displayName: 'Other',
      applicationPermissions: [],
      delegatedPermissions: [],
    });
    printer.trigger = { id: 'their-trigger', definitionId: theirs.id, createdByAppId: 'other-app' };
    try {
      const lines: string[] = [];
      const result = await runSetup(args('--adopt', printer.id), (l) => lines.push(l));
      expect(result.conflicts).toBe(1);
      expect(printer.trigger.definitionId).toBe(theirs.id);
      expect(
        lines.some((l) => l.includes("another app's task trigger (their-trigger; or one Release Gate did not record)")),
      ).toBe(true);
    } finally {
      printer.trigger = ours;
    }
  });

  it('a dry run says what it would do and changes nothing', async () => {
    const { tenant, printerRegistry } = sandbox.simulator;
    const before = { printers: tenant.printers.size, operations: printerRegistry.operations.size };
    const lines: string[] = [];
    const dry = await runSetup(args('--pull-queue', 'Pull Annex', '--dry-run'), (l) => lines.push(l));
    expect(dry.changes).toBe(0);
    expect({ printers: tenant.printers.size, operations: printerRegistry.operations.size }).toEqual(before);
    expect(lines).toContain(
      'Would register the pull queue "Pull Annex", set its printer attributes, share it and put the trigger on it.',
    );
    expect(lines).toContain('\nDry run: 4 change(s) would be made, 0 conflict(s).');

    const mono = tenant.printer(sandbox.simulator.demo!.printers.floor2Mono.id);
    const trigger = mono.trigger;
    delete mono.trigger;
    try {
      const adoptLines: string[] = [];
      await runSetup(args('--adopt', mono.id, '--dry-run'), (l) => adoptLines.push(l));
      expect(sharesOf(mono.id)).toEqual([]);
      expect(mono.trigger).toBeUndefined();
      expect(adoptLines).toEqual(
        expect.arrayContaining(['Would share it for all users.', 'Would put Release Gate’s trigger on it.']),
      );
    } finally {
      mono.trigger = trigger;
    }
  });

  it('a registration that fails is reported with its operation and reason; nothing else is done', async () => {
    sandbox.simulator.printerRegistry.failNextRegistration('The tenant has no Universal Print licence left.');
    await expect(runSetup(args('--pull-queue', 'Pull Doomed'), () => undefined)).rejects.toThrow(
      /Registering "Pull Doomed" failed \(operation https:\/\/127\.0\.0\.1:\d+\/v1\.0\/print\/operations\/[0-9a-f-]+\): The tenant has no Universal Print licence left\./,
    );
    expect(printerNamed('Pull Doomed')).toEqual([]);
    expect(operationsFor('Pull Doomed')).toHaveLength(1);
  });

  it('a refused registration says which role and permission are missing', async () => {
    sandbox.simulator.faults.add({ method: 'POST', path: '^/print/printers/create$', status: 403, times: 1 });
    await expect(runSetup(args('--pull-queue', 'Pull Refused'), () => undefined)).rejects.toThrow(
      /Sign in as a Printer Administrator.*Printer\.ReadWrite\.All and PrinterShare\.ReadWrite\.All/s,
    );
    expect(printerNamed('Pull Refused')).toEqual([]);
  });

  it('a dry run on a virtual printer without attributes says it would set them, and sets nothing', async () => {
    const { tenant, demo } = sandbox.simulator;
    const bare = {
      id: 'bare-queue',
      displayName: 'Pull Bare',
      location: {},
      hasPhysicalDevice: false,
      isShared: false,
      isAcceptingJobs: null,
      status: { state: 'unknown', details: [], description: '' },
      registeredByAppId: demo!.app.clientId,
    };
    tenant.printers.set(bare.id, bare);
    try {
      const lines: string[] = [];
      await runSetup(args('--adopt', bare.id, '--dry-run'), (l) => lines.push(l));
      expect(lines.some((l) => l.startsWith('Would set its printer attributes (IPP'))).toBe(true);
      expect(lines.some((l) => l.includes('isAcceptingJobs is null'))).toBe(true);
      expect(tenant.printer(bare.id)).toMatchObject({ isAcceptingJobs: null, status: { state: 'unknown' } });
      // Jobs cannot reach it meanwhile: a printer that is not accepting jobs takes none.
      expect(() => tenant.submitJob({ printerId: bare.id, userPrincipalName: 'adele@contoso.example' })).toThrow(
        /not accepting jobs/,
      );
    } finally {
      tenant.printers.delete(bare.id);
    }
  });

  it("refuses to write another app's virtual printer, saying why; a 403 names the permission and its opt-in", async () => {
    const { tenant } = sandbox.simulator;
    const foreign = {
      id: 'foreign-queue',
      displayName: 'Pull Foreign',
      location: {},
      hasPhysicalDevice: false,
      isShared: false,
      isAcceptingJobs: null,
      registeredByAppId: 'another-app',
    };
    tenant.printers.set(foreign.id, foreign);
    try {
      await expect(runSetup(args('--adopt', foreign.id), () => undefined)).rejects.toThrow(
        /Only the app that registered the printer may update it[\s\S]*only the app that registered the printer/,
      );
      expect(tenant.printer(foreign.id).isAcceptingJobs).toBeNull();
      expect(sharesOf(foreign.id)).toEqual([]); // nothing else was done
      sandbox.simulator.faults.add({ method: 'PATCH', path: '^/print/printers/[^/]+$', status: 403, times: 1 });
      await expect(runSetup(args('--pull-queue', 'Pull Refused Attributes'), () => undefined)).rejects.toThrow(
        /application permission Printer\.ReadWrite\.All \(opt-in: azd env set RELEASE_GATE_ALLOW_PULL_QUEUE_SETUP true/,
      );
    } finally {
      tenant.printers.delete(foreign.id);
    }
  });

  it('refuses an ambiguous name and contradictory flags', async () => {
    const { tenant } = sandbox.simulator;
    for (const id of ['dup-1', 'dup-2'])
      tenant.printers.set(id, {
        id,
        displayName: 'Pull Twin',
        location: {},
        hasPhysicalDevice: false,
        isShared: false,
        isAcceptingJobs: true,
      });
    await expect(runSetup(args('--pull-queue', 'Pull Twin'), () => undefined)).rejects.toThrow(
      /2 printers are called "Pull Twin" \(dup-1, dup-2\): adopt one with --adopt <id>/,
    );
    expect(() => args('--share-with', 'some')).toThrow(/"some" is not one of all, none/);
    expect(() => args('--share-with', 'all', '--no-share-with-all-users')).toThrow(/say different things/);
    expect(() => args('--teardown', '--pull-queue', 'Pull X')).toThrow(/--teardown cannot be combined/);
    expect(args('--share-with', 'none').shareWithAllUsers).toBe(false);
    expect(args().shareWithAllUsers).toBe(true);
  });

  it('keeps the old defaults without the new flags: --printers all', () => {
    expect(args().printers).toBe('all');
    expect(args('--pull-queue', 'Pull X').printers).toBe('');
    expect(args('--pull-queue', 'Pull X', '--printers', 'HQ *').printers).toBe('HQ *');
  });
});

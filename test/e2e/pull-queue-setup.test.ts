import { Pkcs10CertificateRequest } from '../../src/setup/x509';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { HostLogEntry } from '../../sandbox/host/invocation';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { parseSetupArgs, runSetup, type SetupOptions } from '../../scripts/setup';
import { printerCertificateRequest } from '../../src/setup/pull-queue';
import { waitFor } from '../support/wait';

/**
 * Registering pull queues with the set-up CLI against the sandbox: a real CSR, the long-running
 * operation followed to its end, the share, the trigger, and a job on the new queue held.
 */
describe('npm run setup -- --pull-queue / --adopt', () => {
  let sandbox: Sandbox;
  let base: SetupOptions;
  const logs: HostLogEntry[] = [];
  const printerNamed = (name: string) =>
    [...sandbox.simulator.tenant.printers.values()].filter((p) => p.displayName === name);
  const sharesOf = (printerId: string) =>
    [...sandbox.simulator.printerRegistry.shares.values()].filter((s) => s.printerId === printerId);

  beforeAll(async () => {
    sandbox = await startSandbox({ hostPort: 0, log: (e) => logs.push(e) });
    base = parseSetupArgs(
      [
        '--task-definition-id',
        sandbox.taskDefinitionId,
        '--authority-host',
        sandbox.simulator.authorityHost,
        '--graph-base-url',
        sandbox.simulator.url,
        '--printers',
        'none-of-the-demo-printers',
      ],
      { RELEASE_GATE_TENANT_ID: sandbox.simulator.tenantId, RELEASE_GATE_APP_CLIENT_ID: DEMO_APP_CLIENT_ID },
    );
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it('makes a CSR Universal Print can read: PKCS#10, signed by its key, named after the queue', async () => {
    const { content, transportKey } = await printerCertificateRequest('Pull HQ, Building A');
    const csr = new Pkcs10CertificateRequest(content);
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe('CN=Pull HQ  Building A');
    expect(Buffer.from(transportKey, 'base64').length).toBeGreaterThan(200);
  });

  it('registers a pull queue, shares it, puts the trigger on it; a job there is held; a second run changes nothing', async () => {
    const lines: string[] = [];
    const first = await runSetup({ ...base, pullQueues: ['Pull HQ'] }, (l) => lines.push(l));
    expect(first.changes).toBe(3); // printer, share, trigger
    const [queue] = printerNamed('Pull HQ');
    expect(queue).toMatchObject({ hasPhysicalDevice: false, isShared: true });
    expect(queue!.trigger?.definitionId).toBe(sandbox.taskDefinitionId);
    expect(sharesOf(queue!.id)).toEqual([expect.objectContaining({ displayName: 'Pull HQ', allowAllUsers: true })]);
    expect(lines).toContain(`Registered the pull queue "Pull HQ" (${queue!.id}).`);
    // The registration was followed through its running state to the end.
    expect([...sandbox.simulator.printerRegistry.operations.values()][0]!.looks).toBeGreaterThanOrEqual(2);

    const { job, task } = sandbox.simulator.tenant.submitJob({
      printerId: queue!.id,
      userPrincipalName: 'adele@contoso.example',
    });
    expect(task?.status.state).toBe('processing');
    await waitFor('the task decided', () =>
      logs.some((l) => l.message.includes('"event":"task.finished"') && l.message.includes(task!.id)),
    );
    expect(job.status.state).toBe('completed'); // the sandbox's policy releases jobs on this queue

    const again = await runSetup({ ...base, pullQueues: ['Pull HQ'] }, () => undefined);
    expect(again.changes).toBe(0);
    expect(printerNamed('Pull HQ')).toHaveLength(1);
  });

  it('adopts an existing printer: shares it if needed and puts the trigger on it', async () => {
    const { tenant, demo } = sandbox.simulator;
    const library = demo!.printers.library;
    delete tenant.printer(library.id).trigger;
    const result = await runSetup({ ...base, adopt: [library.id], shareWithAllUsers: false }, () => undefined);
    expect(result.changes).toBe(2); // share (the demo printers have none) and trigger
    expect(sharesOf(library.id)).toEqual([expect.objectContaining({ allowAllUsers: false })]);
    expect(tenant.printer(library.id).trigger?.definitionId).toBe(sandbox.taskDefinitionId);
  });

  it('a dry run says what it would do and changes nothing', async () => {
    const lines: string[] = [];
    const before = sandbox.simulator.tenant.printers.size;
    const dry = await runSetup({ ...base, pullQueues: ['Pull Annex'], dryRun: true }, (l) => lines.push(l));
    expect(dry.changes).toBe(0);
    expect(sandbox.simulator.tenant.printers.size).toBe(before);
    expect(lines).toContain('Would register the pull queue "Pull Annex", share it and put the trigger on it.');
  });

  it('a registration that fails is reported with its operation and reason; nothing else is done', async () => {
    sandbox.simulator.printerRegistry.failNextRegistration('The tenant has no Universal Print licence left.');
    await expect(runSetup({ ...base, pullQueues: ['Pull Doomed'] }, () => undefined)).rejects.toThrow(
      /Registering "Pull Doomed" failed \(operation [0-9a-f-]+\): The tenant has no Universal Print licence left\./,
    );
    expect(printerNamed('Pull Doomed')).toEqual([]);
  });

  it('refuses an ambiguous name and a bad --share-with', async () => {
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
    await expect(runSetup({ ...base, pullQueues: ['Pull Twin'] }, () => undefined)).rejects.toThrow(
      /2 printers are called "Pull Twin" \(dup-1, dup-2\): adopt one with --adopt <id>/,
    );
    expect(() =>
      parseSetupArgs(
        [...['--task-definition-id', 'x', '--tenant', 't', '--client-id', 'c'], '--share-with', 'some'],
        {},
      ),
    ).toThrow(/--share-with must be all or none/);
  });
});

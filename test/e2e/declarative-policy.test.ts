import { readFileSync } from 'node:fs';
import { TableClient } from '@azure/data-tables';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { HostLogEntry } from '../../sandbox/host/invocation';
import { waitFor } from '../support/wait';

/** The office example policy, given as a setting, deciding real jobs in the sandbox. */
describe('a declarative policy from settings, end to end', () => {
  let sandbox: Sandbox;
  const logs: HostLogEntry[] = [];
  const finished = (taskId: string) =>
    waitFor(`task ${taskId}`, () => {
      const line = logs.find((l) => l.message.includes('"event":"task.finished"') && l.message.includes(taskId));
      return line ? (JSON.parse(line.message) as Record<string, unknown>) : undefined;
    });

  beforeAll(async () => {
    const office = readFileSync(path.resolve(__dirname, '../../policies/examples/office/policy.json'), 'utf8');
    sandbox = await startSandbox({
      hostPort: 0,
      log: (e) => logs.push(e),
      settings: { RELEASE_GATE_POLICY_JSON: office },
    });
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it('holds jobs on the HR printer, redirects floor 2, denies large documents, releases the rest', async () => {
    const { tenant, demo } = sandbox.simulator;
    const submit = (printer: keyof NonNullable<typeof demo>['printers'], size = 100_000) =>
      tenant.submitJob({
        printerId: demo!.printers[printer].id,
        userPrincipalName: 'adele@contoso.example',
        document: { displayName: 'x.pdf', size },
      }).task!;
    const [hr, floor2, large, plain] = [
      submit('hr'),
      submit('floor2Mono'),
      submit('floor1Color', 80 * 1024 * 1024),
      submit('library'),
    ];
    expect(await finished(hr.id)).toMatchObject({ action: 'hold', rule: 'confidential printers hold jobs' });
    expect(await finished(floor2.id)).toMatchObject({
      action: 'redirect',
      rule: 'floor 2 printers are out of service',
    });
    expect(await finished(large.id)).toMatchObject({ action: 'deny', rule: 'large documents' });
    expect(await finished(plain.id)).toMatchObject({ action: 'release', rule: 'default' });

    // The audit says how each decision was reached: the rules tried, the first one that matched.
    const audit = TableClient.fromConnectionString(sandbox.azurite.connectionString, 'releasegateaudit', {
      allowInsecureConnection: true,
    });
    const traceOf = async (taskId: string) => {
      for await (const row of audit.listEntities<{ record: string }>({
        queryOptions: { filter: `RowKey eq '${taskId}'` },
      }))
        return (JSON.parse(row.record) as { trace?: string }).trace;
      return undefined;
    };
    expect(await traceOf(hr.id)).toBe('✘ large documents (documentSize); ✔ confidential printers hold jobs');
    const plainTrace = await traceOf(plain.id);
    expect(plainTrace).toMatch(/✘ confidential printers hold jobs \(.*; default$/);
    expect(plainTrace).not.toContain('✔');
  });
});

import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { HostLogEntry } from '../../sandbox/host/invocation';
import type { JobConfiguration, SimJob, SimTask } from '../../sandbox/simulator/model';
import { DEMO_PRINTER_IDS } from '../../sandbox/demo/demo-printers';
import { waitFor } from './wait';

/**
 * A sandbox for pull-printing tests: the demo policy (jobs on the pull queue are held), and the
 * library and floor 1 printers declared as release printers. Its log lines are collected.
 */
export async function startPullPrintingSandbox(
  settings: Record<string, string | undefined> = {},
): Promise<{ sandbox: Sandbox; logs: HostLogEntry[] }> {
  const logs: HostLogEntry[] = [];
  const sandbox = await startSandbox({
    hostPort: 0,
    log: (entry) => logs.push(entry),
    // A setting given as undefined is left unset (e.g. no declared release printers).
    settings: Object.fromEntries(
      Object.entries({
        RELEASE_GATE_POLICY_MODULE: path.resolve(__dirname, '../../sandbox/demo/demo-policy.ts'),
        RELEASE_GATE_RELEASE_PRINTERS: JSON.stringify([DEMO_PRINTER_IDS.library, DEMO_PRINTER_IDS.floor1Color]),
        ...settings,
      }).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
  });
  return { sandbox, logs };
}

/** Prints to the pull queue as a user and waits until Release Gate has held the job. */
export async function holdJob(
  target: { sandbox: Sandbox; logs: HostLogEntry[] },
  upn: string,
  name: string,
  options: { size?: number; configuration?: JobConfiguration } = {},
): Promise<{ job: SimJob; task: SimTask }> {
  const { tenant } = target.sandbox.simulator;
  const submitted = tenant.submitJob({
    printerId: DEMO_PRINTER_IDS.pullQueue,
    userPrincipalName: upn,
    ...(options.configuration ? { configuration: options.configuration } : {}),
    document: { displayName: name, size: options.size ?? 50_000 },
  });
  await waitFor('the hold', () =>
    target.logs.some((l) => l.message.includes('"event":"task.finished"') && l.message.includes(submitted.task!.id)),
  );
  return submitted as { job: SimJob; task: SimTask };
}

import type { HostLogEntry } from '../host/invocation';
import type { Sandbox } from '../sandbox';
import { DEMO_APP_CLIENT_ID } from '../simulator/demo-tenant';

/**
 * `npm run demo`'s "printer in error" step: Adele's held job, HQ Floor 2 Mono out of paper (set
 * through the simulator's control API, as a device would report it), a release there refused with
 * the reason and a ready printer nearby, then released at that printer.
 */
export async function runPrinterStateDemo(
  sandbox: Sandbox,
  logs: HostLogEntry[],
  out: (line: string) => void = () => undefined,
): Promise<{ ok: boolean; refusal: string; alternatives: string[]; printedAt?: string }> {
  const { simulator, host } = sandbox;
  const printers = simulator.demo!.printers;
  const user = 'adele@contoso.example';
  const { job, task } = simulator.tenant.submitJob({
    printerId: printers.pullQueue.id,
    userPrincipalName: user,
    document: { displayName: 'Handout.pdf', size: 120_000 },
  });
  const deadline = Date.now() + 30_000;
  while (!logs.some((l) => l.message.includes('"event":"task.finished"') && l.message.includes(task!.id))) {
    if (Date.now() > deadline) throw new Error('Handout.pdf was never decided');
    await new Promise((r) => setTimeout(r, 25));
  }
  out(`  ${user} sent Handout.pdf to the pull queue: held`);

  const setStatus = (status: unknown) =>
    fetch(`${simulator.url}/_control/printers/${printers.floor2Mono.id}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(status),
    });
  await setStatus({ state: 'stopped', details: ['mediaEmpty'], description: 'Tray 1 is empty' });
  out(`  ${printers.floor2Mono.displayName} reports stopped, mediaEmpty (out of paper)`);
  try {
    const token = await simulator.identity.userToken(user, DEMO_APP_CLIENT_ID);
    const release = (printerId: string) =>
      fetch(`${host.url}/api/release/jobs/release`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ taskIds: [task!.id], printerId }),
      });
    const refused = await release(printers.floor2Mono.id);
    const { error } = (await refused.json()) as {
      error: { message: string; alternatives?: { id: string; displayName: string }[] };
    };
    const alternatives = error.alternatives ?? [];
    out(`  release there: ${refused.status} "${error.message}"`);
    out(`  nearby and ready: ${alternatives.map((a) => a.displayName).join(', ') || 'none'}`);
    const chosen = alternatives[0];
    let printedAt: string | undefined;
    if (chosen) {
      const released = await release(chosen.id);
      out(`  ${user} chose ${chosen.displayName}: ${released.status}`);
      // The moved job is decided again at its new printer (it has a trigger there): wait for it to print.
      const [, printerId, jobId] = /printers\/([^/]+)\/jobs\/([^/]+)$/.exec(job.redirectedTo ?? '') ?? [];
      const until = Date.now() + 15_000;
      while (printerId && Date.now() < until) {
        await simulator.deliveriesSettled();
        await host.queuesIdle();
        if (simulator.tenant.job(printerId, jobId!).status.state === 'completed') {
          printedAt = simulator.tenant.printer(printerId).displayName;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const ok = refused.status === 409 && printedAt === chosen?.displayName && printedAt !== undefined;
    out(
      ok
        ? `  Handout.pdf printed at ${printedAt}: a printer in error was refused with an alternative`
        : '  EXPECTED a 409 with an alternative, then the job printed there',
    );
    return { ok, refusal: error.message, alternatives: alternatives.map((a) => a.displayName), printedAt };
  } finally {
    await setStatus({ state: 'idle', details: [] });
  }
}

import { parseSettings } from '../../src/config/load-settings';
import { tableHoldStore } from '../../src/holds/hold-store';
import type { QuotasAnswer, QuotaView } from '../../src/release/quota-standings';
import { terminalKeyHash } from '../../src/release/terminal-release';
import { createTableClient } from '../../src/storage/storage-clients';
import type { HostLogEntry } from '../host/invocation';
import type { Sandbox } from '../sandbox';
import { DEMO_APP_CLIENT_ID } from '../simulator/demo-tenant';
import type { SimJob, SimTask } from '../simulator/model';
import { DEMO_PRINTER_IDS } from './demo-printers';

/**
 * The pull-printing half of `npm run demo`: jobs sent to the pull queue are held, then one is
 * released at the library through the release page's API, two at a badge terminal on floor 1, one
 * is deleted by its owner and one expires (its hold's clock is moved forward a day).
 */
export const DEMO_TERMINAL = {
  id: 'floor1-panel',
  key: 'sandbox-demo-terminal-key-not-a-secret-0001',
  printerId: DEMO_PRINTER_IDS.floor1Color,
};

/** The sandbox settings the pull-printing demo needs (a terminal bound to the floor 1 printer). */
export const pullPrintingSettings = (): Record<string, string> => ({
  RELEASE_GATE_TERMINALS: JSON.stringify([
    { id: DEMO_TERMINAL.id, printerId: DEMO_TERMINAL.printerId, keySha256: terminalKeyHash(DEMO_TERMINAL.key) },
  ]),
});

interface HeldJob {
  title: string;
  user: string;
  job: SimJob;
  task: SimTask;
  how: string;
  expect: { job: string; task: string; printer?: string };
}

export async function runPullPrintingDemo(
  sandbox: Sandbox,
  logs: HostLogEntry[],
  out: (line: string) => void = () => undefined,
): Promise<{ ok: boolean; rows: Record<string, string>[] }> {
  const { simulator, host } = sandbox;
  const tenant = simulator.tenant;
  const printers = simulator.demo!.printers;

  async function hold(user: string, title: string, how: string, expect: HeldJob['expect']): Promise<HeldJob> {
    const { job, task } = tenant.submitJob({
      printerId: printers.pullQueue.id,
      userPrincipalName: user,
      document: { displayName: title, size: 120_000 },
    });
    const deadline = Date.now() + 30_000;
    while (!logs.some((l) => l.message.includes('"event":"task.finished"') && l.message.includes(task!.id))) {
      if (Date.now() > deadline) throw new Error(`The job ${title} was never decided`);
      await new Promise((r) => setTimeout(r, 25));
    }
    out(`  ${user} sent ${title}: held`);
    return { title, user, job, task: task!, how, expect };
  }

  const printedAt = (printer: { displayName: string }) => ({
    job: 'completed',
    task: 'completed',
    printer: printer.displayName,
  });
  const ended = { job: 'aborted', task: 'aborted' };
  const terminal = 'badge E1003 at the floor 1 terminal';
  const jobs = [
    await hold('adele@contoso.example', 'Slides.pdf', 'release page → School Library', printedAt(printers.library)),
    await hold('megan@contoso.example', 'Contract.pdf', terminal, printedAt(printers.floor1Color)),
    await hold('megan@contoso.example', 'Invoice.pdf', terminal, printedAt(printers.floor1Color)),
    await hold('adele@contoso.example', 'Old draft.pdf', 'deleted on the release page', ended),
    await hold('lee.student@contoso.example', 'Forgotten.pdf', 'never released: expired', ended),
  ];
  const [slides, , , draft, forgotten] = jobs;

  // Adele, signed in on the release page (its API, with the token the sign-in would give her).
  const token = await simulator.identity.userToken('adele@contoso.example', DEMO_APP_CLIENT_ID);
  const page = (action: string, body: unknown) =>
    fetch(`${host.url}/api/release/jobs/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  await page('release', { taskIds: [slides!.task.id], printerId: printers.library.id });
  out('  adele@contoso.example released Slides.pdf at the School Library on the release page');
  await page('delete', { taskIds: [draft!.task.id] });
  out('  adele@contoso.example deleted Old draft.pdf on the release page');

  // Megan swipes her badge at the floor 1 panel: all her held jobs come out there.
  await fetch(`${host.url}/api/terminal/release`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-terminal-id': DEMO_TERMINAL.id,
      'x-terminal-key': DEMO_TERMINAL.key,
    },
    body: JSON.stringify({ badge: 'E1003' }),
  });
  out('  megan@contoso.example swiped badge E1003 at the floor 1 terminal');

  // Lee never comes: move the hold's clock a day on, then let the expiry timer do its round.
  const holds = tableHoldStore(
    createTableClient(parseSettings(sandbox.settings), parseSettings(sandbox.settings).RELEASE_GATE_HOLD_TABLE),
  );
  const held = await holds.claim(forgotten!.user, forgotten!.task.id);
  if (held) await holds.add({ ...held, expiresAt: new Date(Date.now() - 1000).toISOString() });
  await host.runTimer('expire-holds');
  out("  lee.student@contoso.example never came: Forgotten.pdf's hold expired");
  await simulator.deliveriesSettled();
  await host.queuesIdle();

  const whereItPrinted = (job: SimJob): { state: string; printer?: string } => {
    const [, printerId, jobId] = /printers\/([^/]+)\/jobs\/([^/]+)$/.exec(job.redirectedTo ?? '') ?? [];
    if (!printerId) return { state: job.status.state };
    const moved = tenant.job(printerId, jobId!);
    return { state: moved.status.state, printer: tenant.printer(printerId).displayName ?? printerId };
  };
  let ok = true;
  const rows = jobs.map(({ title, user, job, task, how, expect }) => {
    const end = whereItPrinted(job);
    const good = end.state === expect.job && task.status.state === expect.task && end.printer === expect.printer;
    ok &&= good;
    return {
      job: job.id,
      document: title,
      user,
      what_happened: how,
      printed_at: end.printer ?? '-',
      job_state: end.state,
      task_state: task.status.state,
      result: good ? 'ok' : `EXPECTED ${expect.job}/${expect.task}${expect.printer ? ` at ${expect.printer}` : ''}`,
    };
  });
  return { ok, rows };
}

/** The quota part of a user's release page (its API, signed in as them), as the page says it. */
export async function releasePageQuotas(sandbox: Sandbox, upn: string): Promise<string> {
  const token = await sandbox.simulator.identity.userToken(upn, DEMO_APP_CLIENT_ID);
  const response = await fetch(`${sandbox.host.url}/api/release/jobs`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) return `no answer (${response.status})`;
  const { quotas } = (await response.json()) as { quotas?: QuotasAnswer };
  if (!quotas) return 'no quotas';
  if ('unavailable' in quotas) return quotas.unavailable;
  return quotas.standings.map(quotaSentence).join('; ') || 'no quota applies';
}

const MEASURES: Record<QuotaView['measure'], string> = {
  jobs: 'Jobs',
  copies: 'Copies',
  colorJobs: 'Colour jobs',
  colorCopies: 'Colour copies',
  pages: 'Pages',
  colorPages: 'Colour pages',
};

/** The sentence the release page shows for one quota (web/release/release.js renderQuota). */
export const quotaSentence = (q: QuotaView) =>
  `${MEASURES[q.measure]} ${q.period.label}: ${q.used} of ${q.limit} used, ${q.remaining} left${q.reached ? ' (limit reached)' : ''}`;

import { parseSettings } from '../../src/config/load-settings';
import { expiryWarningOptions, sendExpiryWarnings } from '../../src/holds/expiry-warnings';
import { tableHoldStore } from '../../src/holds/hold-store';
import type { UserMessage } from '../../src/messages/message-model';
import { messageOutbox } from '../../src/messages/outbox';
import { queueFromSettings } from '../../src/queue/task-queue';
import { createLog } from '../../src/observability/log';
import { createTableClient } from '../../src/storage/storage-clients';
import type { HostLogEntry } from '../host/invocation';
import type { Sandbox } from '../sandbox';
import { DEMO_APP_CLIENT_ID } from '../simulator/demo-tenant';
import type { SimSentMail } from '../simulator/model';

const USER = 'adele@contoso.example';
const DOCUMENT = 'Poster draft.pdf';

/**
 * "Before a hold expires" in `npm run demo`: a job held on the pull queue, its clock moved on until
 * it expires in 20 minutes, the warning pass (src/holds/expiry-warnings.ts) run on the sandbox's hold
 * table, and the warning's keep link followed through the release API as its owner: the hold then
 * lasts a day more. The warning goes the real way: the app's outbox, the message queue, the
 * send-message function, Graph's sendMail; it is read back from the simulator's outbox.
 */
export async function runExpiryDemo(
  sandbox: Sandbox,
  logs: HostLogEntry[],
  out: (line: string) => void = () => undefined,
): Promise<{ ok: boolean; warning?: SimSentMail; expiresAt?: string; keptUntil?: string }> {
  const { simulator, host } = sandbox;
  const { task } = simulator.tenant.submitJob({
    printerId: simulator.demo!.printers.pullQueue.id,
    userPrincipalName: USER,
    document: { displayName: DOCUMENT, size: 80_000 },
  });
  const deadline = Date.now() + 30_000;
  while (!logs.some((l) => l.message.includes('"event":"task.finished"') && l.message.includes(task!.id))) {
    if (Date.now() > deadline) throw new Error(`The job ${DOCUMENT} was never decided`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const settings = parseSettings(sandbox.settings);
  const holds = tableHoldStore(createTableClient(settings, settings.RELEASE_GATE_HOLD_TABLE));
  const held = (await holds.get(USER, task!.id))!;
  out(`  ${USER} sent ${DOCUMENT}: held until ${held.expiresAt} (may be kept until ${held.keepUntilMax})`);

  // The clock moves on: every time of the hold shifts, so it now expires in 20 minutes.
  const shift = Date.parse(held.expiresAt) - (Date.now() + 20 * 60_000);
  const earlier = (iso?: string) => iso && new Date(Date.parse(iso) - shift).toISOString();
  await holds.update(USER, task!.id, (h) => ({
    ...h,
    heldAt: earlier(h.heldAt)!,
    expiresAt: earlier(h.expiresAt)!,
    ...(h.keepUntilMax ? { keepUntilMax: earlier(h.keepUntilMax) } : {}),
  }));

  // The timer's warning pass, posting through the app's real outbox: the send-message function mails it.
  const quiet = createLog({ info: () => undefined, warn: () => undefined, error: () => undefined });
  const messages = messageOutbox({
    queue: queueFromSettings<UserMessage>(settings, settings.RELEASE_GATE_MESSAGE_QUEUE),
    kinds: settings.RELEASE_GATE_MESSAGES,
    log: quiet,
  });
  await sendExpiryWarnings({ holds, messages, log: quiet }, expiryWarningOptions(settings)!);
  const mail = await mailAbout(sandbox, DOCUMENT, /^(Expiring soon|Läuft bald ab)/);
  const keepUrl = mail?.content.match(/href="([^"]*[?&]keep=[^"]*)"/)?.[1]?.replace(/&amp;/g, '&');
  if (!mail || !keepUrl) {
    out('  no expiry warning with a keep link was mailed');
    return { ok: false };
  }
  out(`  ${mail.from} → ${mail.to.join(', ')}: "${mail.subject}"`);
  for (const line of mail.text.split('\n').filter(Boolean)) out(`    | ${line}`);
  out(`    keep link: ${keepUrl}`);

  // Adele follows the link: the release page signs her in, then keeps the job (its API call).
  const token = await simulator.identity.userToken(USER, DEMO_APP_CLIENT_ID);
  const response = await fetch(`${host.url}/api/release/jobs/keep`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ taskIds: [new URL(keepUrl).searchParams.get('keep')] }),
  });
  const [result] = ((await response.json()) as { results: { status: string; expiresAt?: string }[] }).results;
  const keptUntil = result?.status === 'kept' ? result.expiresAt : undefined;
  out(
    keptUntil
      ? `  ${USER} followed the keep link: ${DOCUMENT} kept until ${keptUntil}`
      : `  the keep link did not keep the job (${result?.status ?? response.status})`,
  );
  const expiresAt = new Date(Date.parse(held.expiresAt) - shift).toISOString();
  const ok = !!keptUntil && Date.parse(keptUntil) > Date.parse(expiresAt);
  return { ok, warning: mail, expiresAt, keptUntil };
}

/** The first mail in the simulator's outbox about this document with this subject, once the queues are idle. */
async function mailAbout(sandbox: Sandbox, document: string, subject: RegExp): Promise<SimSentMail | undefined> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    await sandbox.host.queuesIdle();
    const outbox = (await (await fetch(`${sandbox.simulator.url}/_control/outbox`)).json()) as { value: SimSentMail[] };
    const found = outbox.value.find((m) => subject.test(m.subject) && m.subject.includes(document));
    if (found || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

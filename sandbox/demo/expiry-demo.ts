import { parseSettings } from '../../src/config/load-settings';
import { expiryWarningOptions, sendExpiryWarnings } from '../../src/holds/expiry-warnings';
import { tableHoldStore } from '../../src/holds/hold-store';
import type { MessageOutbox, UserMessage } from '../../src/messages/message-model';
import { createLog } from '../../src/observability/log';
import { createTableClient } from '../../src/storage/storage-clients';
import type { HostLogEntry } from '../host/invocation';
import type { Sandbox } from '../sandbox';
import { DEMO_APP_CLIENT_ID } from '../simulator/demo-tenant';

const USER = 'adele@contoso.example';
const DOCUMENT = 'Poster draft.pdf';

/**
 * "Before a hold expires" in `npm run demo`: a job held on the pull queue, its clock moved on until
 * it expires in 20 minutes, the warning pass (src/holds/expiry-warnings.ts) run on the sandbox's hold
 * table, and the warning's keep link followed through the release API as its owner: the hold then
 * lasts a day more. The warning is shown as posted (the outbox here records it; the messages lane
 * sends it by email).
 */
export async function runExpiryDemo(
  sandbox: Sandbox,
  logs: HostLogEntry[],
  out: (line: string) => void = () => undefined,
): Promise<{ ok: boolean; warning?: Omit<UserMessage, 'version' | 'createdAt'>; keptUntil?: string }> {
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

  const posted: Omit<UserMessage, 'version' | 'createdAt'>[] = [];
  const outbox: MessageOutbox = { wants: () => true, post: async (message) => posted.push(message) > 0 };
  const quiet = createLog({ info: () => undefined, warn: () => undefined, error: () => undefined });
  await sendExpiryWarnings({ holds, messages: outbox, log: quiet }, expiryWarningOptions(settings)!);
  const warning = posted.find((m) => m.id.startsWith(`${task!.id}:`));
  if (!warning?.keepUrl) {
    out('  no expiry warning with a keep link was posted');
    return { ok: false };
  }
  out(`  expiry warning to ${USER}: "${warning.documentName}" expires at ${warning.expiresAt}`);
  out(`    keep link: ${warning.keepUrl}`);

  // Adele follows the link: the release page signs her in, then keeps the job (its API call).
  const token = await simulator.identity.userToken(USER, DEMO_APP_CLIENT_ID);
  const response = await fetch(`${host.url}/api/release/jobs/keep`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ taskIds: [new URL(warning.keepUrl).searchParams.get('keep')] }),
  });
  const [result] = ((await response.json()) as { results: { status: string; expiresAt?: string }[] }).results;
  const keptUntil = result?.status === 'kept' ? result.expiresAt : undefined;
  out(
    keptUntil
      ? `  ${USER} followed the keep link: ${DOCUMENT} kept until ${keptUntil}`
      : `  the keep link did not keep the job (${result?.status ?? response.status})`,
  );
  const ok = !!keptUntil && Date.parse(keptUntil) > Date.parse(warning.expiresAt!);
  return { ok, warning, keptUntil };
}

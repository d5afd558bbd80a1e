import { parseSettings } from '../../src/config/load-settings';
import { tableUserActionLog } from '../../src/audit/user-action-log';
import { createTableClient } from '../../src/storage/storage-clients';
import type { HostLogEntry } from '../host/invocation';
import type { Sandbox } from '../sandbox';
import { DEMO_APP_CLIENT_ID } from '../simulator/demo-tenant';

/** The sandbox settings the delegation demo needs: delegates on (Bicep's allowDelegation). */
export const delegationSettings = (): Record<string, string> => ({ RELEASE_GATE_DELEGATION: 'on' });

const OWNER = 'adele@contoso.example';
const DELEGATE = 'megan@contoso.example';

/**
 * "A delegated release" (issue 18): Adele names Megan her delegate on the release page (found in the
 * directory), prints a job to the pull queue, and Megan, signed in as herself, sees it marked with
 * Adele's name and releases it at the library. The user action audit's lines are shown.
 */
export async function runDelegationDemo(
  sandbox: Sandbox,
  logs: HostLogEntry[],
  out: (line: string) => void = () => undefined,
): Promise<{ ok: boolean }> {
  const { simulator, host } = sandbox;
  const printers = simulator.demo!.printers;
  const since = new Date(Date.now() - 1000);
  const as = async (upn: string) => {
    const token = await simulator.identity.userToken(upn, DEMO_APP_CLIENT_ID);
    return async <T>(path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${host.url}/api/release/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
  };
  const adele = await as(OWNER);
  const megan = await as(DELEGATE);

  const { people } = await adele<{ people: { id: string; displayName?: string }[] }>('people?q=meg');
  const found = people[0]!;
  await adele('delegates/add', { id: found.id });
  out(`  ${OWNER} found "${found.displayName}" in the directory and named her a delegate`);

  const { task } = simulator.tenant.submitJob({
    printerId: printers.pullQueue.id,
    userPrincipalName: OWNER,
    document: { displayName: 'Board pack.pdf', size: 90_000 },
  });
  const deadline = Date.now() + 30_000;
  while (!logs.some((l) => l.message.includes('"event":"task.finished"') && l.message.includes(task!.id))) {
    if (Date.now() > deadline) throw new Error('The delegation demo job was never decided');
    await new Promise((r) => setTimeout(r, 25));
  }
  out(`  ${OWNER} sent Board pack.pdf: held`);

  const listed = await megan<{
    delegated: { taskId: string; documentName?: string; owner: { displayName?: string } }[];
  }>('jobs');
  const theirs = listed.delegated.find((j) => j.taskId === task!.id);
  out(
    `  ${DELEGATE}'s release page lists: ${theirs ? `${theirs.documentName} (for ${theirs.owner.displayName})` : 'nothing'}`,
  );
  const { results } = await megan<{ results: { status: string }[] }>('jobs/release', {
    taskIds: [task!.id],
    printerId: printers.library.id,
  });
  out(`  ${DELEGATE} released it at the ${printers.library.displayName}: ${results[0]?.status}`);

  const settings = parseSettings(sandbox.settings);
  const actions = await tableUserActionLog(createTableClient(settings, settings.RELEASE_GATE_USER_ACTION_TABLE)).list(
    since,
    new Date(Date.now() + 1000),
  );
  out('  User action audit:');
  for (const entry of actions.filter((e) => e.action === 'delegate-added' || e.action === 'released-for-owner'))
    out(
      `    ${entry.at} ${entry.action} by ${entry.actor.userPrincipalName ?? entry.actor.id}${entry.detail ? `: ${entry.detail}` : ''}`,
    );
  const ok =
    !!theirs &&
    results[0]?.status === 'released' &&
    actions.some((e) => e.action === 'released-for-owner' && e.taskId === task!.id);
  out(ok ? '  A delegated release: ok' : '  A delegated release: NOT as expected');
  return { ok };
}

import type { MessageOutbox, UserMessage } from '../../../src/messages/message-model';
import type { Decision } from '../../../src/policy/decision';
import { processTask } from '../../../src/processor/process-task';
import { always, processorHarness } from '../../support/processor-harness';

type Posted = Omit<UserMessage, 'version' | 'createdAt'>;

function outbox(kinds: string[], fail = false): MessageOutbox & { posted: Posted[] } {
  const posted: Posted[] = [];
  return {
    posted,
    wants: (kind) => kinds.includes(kind),
    async post(message) {
      if (fail) throw new Error('a broken outbox');
      posted.push(message);
    },
  };
}

describe('messages to a job’s owner from the processor', () => {
  it('a deny posts `denied` with the reason, after the job was aborted and the audit written', async () => {
    const deny: Decision = { action: 'deny', rule: 'no colour', reason: 'Colour is for staff.' };
    const h = processorHarness({ policy: always(deny) });
    const messages = outbox(['denied']);
    const { task, message } = h.print();
    const result = await processTask(message(), { ...h.deps, messages });
    expect(result).toMatchObject({ outcome: 'denied' });
    expect(messages.posted).toEqual([
      expect.objectContaining({
        kind: 'denied',
        id: `${task.id}:denied`,
        to: { id: '0e000000-0000-4000-8000-0000000000a1', userPrincipalName: 'adele@contoso.example' },
        documentName: 'Report.pdf',
        reason: 'Colour is for staff.',
      }),
    ]);
  });

  it('a hold posts `held` with its expiry and the release page', async () => {
    const hold: Decision = { action: 'hold', rule: 'pull', expiresInMinutes: 60, onExpiry: 'deny' };
    const h = processorHarness({ policy: always(hold) });
    const messages = outbox(['held']);
    const { task, message } = h.print();
    await processTask(message(), { ...h.deps, messages, releasePageUrl: 'https://rg.example/api/release' });
    const held = await h.deps.holds.get('adele@contoso.example', task.id);
    expect(messages.posted).toEqual([
      expect.objectContaining({
        kind: 'held',
        expiresAt: held!.expiresAt,
        releaseUrl: 'https://rg.example/api/release',
      }),
    ]);
  });

  it('posts nothing for a kind that is off, and a failing outbox changes no decision', async () => {
    const deny: Decision = { action: 'deny', rule: 'no', reason: 'No.' };
    const h = processorHarness({ policy: always(deny) });
    const off = outbox(['held']);
    await processTask(h.print().message(), { ...h.deps, messages: off });
    expect(off.posted).toEqual([]);
    const broken = outbox(['denied'], true);
    await expect(processTask(h.print().message(), { ...h.deps, messages: broken })).resolves.toMatchObject({
      outcome: 'denied',
    });
    expect(h.eventsNamed('message.not-queued')).toHaveLength(1);
  });
});

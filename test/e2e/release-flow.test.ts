import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { HostLogEntry } from '../../sandbox/host/invocation';
import { waitFor } from '../support/wait';

describe('end to end in the sandbox: print, notify, queue, decide, release', () => {
  let sandbox: Sandbox;
  const logs: HostLogEntry[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ hostPort: 0, log: (e) => logs.push(e) });
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it('created the subscription through the keeper, with the handshake', () => {
    const [subscription] = [...sandbox.simulator.tenant.subscriptions.values()];
    expect(subscription?.resource).toBe(`print/taskDefinitions/${sandbox.taskDefinitionId}/tasks`);
    expect(subscription?.notificationUrl).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/api\/notifications\?code=[\w-]+&cs=[0-9a-f]{8}$/,
    );
    expect(logs.some((l) => l.functionName === 'notifications' && l.message.includes('notification.handshake'))).toBe(
      true,
    );
  });

  it('releases a held job with two Graph calls (three for the first job on a printer, which is read once)', async () => {
    const { simulator } = sandbox;
    const release = async () => {
      const { job, task } = simulator.tenant.submitJob({
        printerId: simulator.demo!.printers.floor1Color.id,
        userPrincipalName: 'adele@contoso.example',
        document: { displayName: 'Quarterly report.pdf', size: 250_000 },
      });
      expect(job.status.state).toBe('paused');
      expect(task?.status.state).toBe('processing');
      await waitFor('the job to print', () => job.status.state === 'completed');
      expect(task?.status.state).toBe('completed'); // its description is Graph's, not ours
      await sandbox.host.queuesIdle();
      const finished = logs.map((l) => l.message).find((m) => m.includes('"task.finished"') && m.includes(task!.id));
      // Counted at Graph too, as the app: the job (with its tasks), then the task.
      const calls = [...simulator.requests.find({ jobId: job.id }), ...simulator.requests.find({ taskId: task!.id })]
        .sort((a, b) => a.seq - b.seq)
        .map((r) => `${r.method} ${r.status} ${r.tokenKind}`);
      return { finished: JSON.parse(finished!) as Record<string, unknown>, calls };
    };
    // The first job on a printer also reads the printer (is it a pull queue?); later ones use the cache.
    expect((await release()).finished).toMatchObject({ outcome: 'released', graphCalls: 3 });
    const second = await release();
    expect(second.finished).toMatchObject({ outcome: 'released', graphCalls: 2 });
    expect(second.calls.slice(0, second.calls.indexOf('PATCH 200 app') + 1)).toEqual(['GET 200 app', 'PATCH 200 app']);
  });
});

import {
  ReleasePrinterRefused,
  VANISHED_REASON,
  deleteHeldJobs,
  listHeldJobs,
  releaseHeldJobs,
  type ReleaseDependencies,
} from '../../../src/release/release-held-jobs';
import {
  graphError,
  heldAuditRecord,
  heldJobFor,
  recordingLog,
  PRINTERS,
  releaseWorld,
  USERS,
} from '../../support/release-fakes';

const { queue: QUEUE, library: LIBRARY, hr: HR } = PRINTERS;
const { adele: ADELE, megan: MEGAN } = USERS;
const owner = (user: typeof ADELE) => ({ id: user.id, userPrincipalName: user.upn });

function setUp(options: { releasePrinters?: string[] } = {}) {
  const { graph, holds, audit, tasks } = releaseWorld();
  const log = recordingLog();
  const deps: ReleaseDependencies = {
    api: graph.api,
    holds,
    audit,
    tasks,
    log,
    ...(options.releasePrinters ? { releasePrinters: options.releasePrinters } : {}),
  };
  /** A job held on a printer (the pull queue by default), with its hold and audit record stored. */
  const hold = async (user: typeof ADELE, extra: Parameters<typeof heldJobFor>[3] = {}, printerId = QUEUE) => {
    const { held, job } = heldJobFor(graph, user, printerId, extra);
    await holds.add(held);
    await audit.write(heldAuditRecord(held));
    return { held, job, task: graph.tasks.get(held.taskId)! };
  };
  const release = (user: typeof ADELE, taskIds: string[], printerId: string, changes?: object) =>
    releaseHeldJobs(deps, {
      owner: owner(user),
      taskIds,
      printerId,
      via: 'unit test',
      ...(changes ? { changes } : {}),
    });
  return { graph, holds, audit, tasks, log, deps, hold, release };
}

describe('releaseHeldJobs', () => {
  it('redirects a job held on the pull queue to the chosen printer, once, and ends its hold', async () => {
    const { graph, holds, audit, tasks, hold, release } = setUp();
    const { held, job, task } = await hold(ADELE);
    const [result] = await release(ADELE, [held.taskId], LIBRARY);
    const moved = graph.movedFrom(job)!;
    expect(result).toEqual({ taskId: held.taskId, status: 'released', printerId: LIBRARY, newJobId: moved.id });
    expect(graph.count('redirectJob')).toBe(1);
    expect(moved.printerId).toBe(LIBRARY);
    expect(task.state).toBe('completed'); // Graph completes the task of a redirected job
    expect(graph.count('setTaskState')).toBe(0);
    expect(holds.held.has(held.taskId)).toBe(false);
    expect(tasks.marks).toEqual([{ taskId: held.taskId, status: 'done', outcome: 'hold-released' }]);
    expect(audit.records.get(held.taskId)).toMatchObject({
      outcome: 'hold-released',
      detail: `released to printer ${LIBRARY} via unit test`,
    });
  });

  it('a double click, or a retry: the second finds nothing and Graph is asked once', async () => {
    const { graph, hold, release } = setUp();
    const { held } = await hold(ADELE);
    const results = await Promise.all([release(ADELE, [held.taskId], LIBRARY), release(ADELE, [held.taskId], LIBRARY)]);
    expect(results.map(([r]) => r!.status).sort()).toEqual(['not-found', 'released']);
    expect(graph.count('redirectJob')).toBe(1);
    expect(await release(ADELE, [held.taskId], LIBRARY)).toEqual([{ taskId: held.taskId, status: 'not-found' }]);
  });

  it('another user’s job is not found, and nothing reaches it', async () => {
    const { graph, holds, hold, release, deps } = setUp();
    const { held, task } = await hold(MEGAN);
    expect(await release(ADELE, [held.taskId], LIBRARY)).toEqual([{ taskId: held.taskId, status: 'not-found' }]);
    expect(await deleteHeldJobs(deps, { owner: owner(ADELE), taskIds: [held.taskId] })).toEqual([
      { taskId: held.taskId, status: 'not-found' },
    ]);
    expect(graph.calls.filter((c) => c.method !== 'getPrinter')).toEqual([]);
    expect(task.state).toBe('processing');
    expect(holds.held.has(held.taskId)).toBe(true);
  });

  it('ownership is the object id: the same UPN with another id (the name reused) gets nothing', async () => {
    const { hold, release } = setUp();
    const { held } = await hold(ADELE);
    const newcomer = { id: '33333333-3333-4333-8333-333333333333', upn: ADELE.upn };
    expect(await release(newcomer, [held.taskId], LIBRARY)).toEqual([{ taskId: held.taskId, status: 'not-found' }]);
    expect(await release(ADELE, [held.taskId], LIBRARY)).toEqual([expect.objectContaining({ status: 'released' })]);
  });

  it('at the job’s own (physical) printer the task is completed; changes are applied first', async () => {
    const { graph, hold, release } = setUp();
    const plain = await hold(ADELE, {}, LIBRARY);
    expect(await release(ADELE, [plain.held.taskId], LIBRARY)).toEqual([
      { taskId: plain.held.taskId, status: 'released', printerId: LIBRARY, newJobId: plain.job.id },
    ]);
    expect(graph.calls.map((c) => c.method)).toEqual(['getPrinter', 'setTaskState']);
    expect(plain.job.state).toBe('completed');

    const changed = await hold(ADELE, {}, LIBRARY);
    graph.calls.length = 0;
    await release(ADELE, [changed.held.taskId], LIBRARY, { grayscale: true, duplex: true });
    expect(graph.calls.map((c) => c.method)).toEqual(['updateJobConfiguration', 'setTaskState']); // printer known now
    expect(changed.job.configuration).toEqual({ colorMode: 'grayscale', duplexMode: 'flipOnLongEdge' });
  });

  it('users may print less, never more: fewer copies than sent or than the policy allowed', async () => {
    const { graph, hold, release } = setUp();
    const sentThree = await hold(ADELE, { copies: 3 });
    const policyTwo = await hold(ADELE, { copies: 3, releaseConfiguration: { copies: 2, colorMode: 'grayscale' } });
    const unstated = await hold(ADELE);
    await release(ADELE, [sentThree.held.taskId], LIBRARY, { copies: 50 });
    await release(ADELE, [policyTwo.held.taskId], LIBRARY, { copies: 3 });
    await release(ADELE, [unstated.held.taskId], LIBRARY, { copies: 5 });
    const redirected = graph.calls.filter((c) => c.method === 'redirectJob').map((c) => c.args[3]);
    // More than sent: the job keeps its own copies (no change asked of Graph).
    expect(redirected).toEqual([undefined, { copies: 2, colorMode: 'grayscale' }, undefined]);

    const fewer = await hold(ADELE, { copies: 3, releaseConfiguration: { copies: 2 } });
    await release(ADELE, [fewer.held.taskId], LIBRARY, { copies: 1 });
    expect(graph.calls.filter((c) => c.method === 'redirectJob').pop()!.args[3]).toEqual({ copies: 1 });
  });

  it('only declared release printers: elsewhere nothing is claimed and Graph is not asked', async () => {
    const { graph, holds, hold, release } = setUp({ releasePrinters: [LIBRARY.toUpperCase()] });
    const { held } = await hold(ADELE);
    expect(await release(ADELE, [held.taskId], HR)).toEqual([
      { taskId: held.taskId, status: 'failed', reason: 'That printer is not a release printer.' },
    ]);
    expect(graph.calls).toEqual([]);
    expect(holds.held.has(held.taskId)).toBe(true);
    // Printer ids compare without case.
    expect(await release(ADELE, [held.taskId], LIBRARY)).toEqual([expect.objectContaining({ status: 'released' })]);
  });

  it('a pull queue is refused before anything is claimed; a printer that does not exist is a 404 thrown', async () => {
    const { graph, holds, hold, release } = setUp();
    const { held } = await hold(ADELE, {}, LIBRARY);
    await expect(release(ADELE, [held.taskId], QUEUE)).rejects.toBeInstanceOf(ReleasePrinterRefused);
    await expect(release(ADELE, [held.taskId], 'aaaaaaaa-0000-4000-8000-00000000ffff')).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(holds.held.has(held.taskId)).toBe(true);
    expect(graph.calls.map((c) => c.method)).toEqual(['getPrinter', 'getPrinter']);
  });

  it('a job its policy keeps for certain printers stays held elsewhere, and is released there', async () => {
    const { graph, holds, hold, release } = setUp();
    const { held } = await hold(ADELE, { releaseAt: [HR] });
    expect(await release(ADELE, [held.taskId], LIBRARY)).toEqual([
      {
        taskId: held.taskId,
        status: 'failed',
        reason: 'This job can only be printed at the printer its policy names; it is still held.',
      },
    ]);
    expect(graph.count('redirectJob')).toBe(0);
    expect(holds.held.get(held.taskId)).toEqual(held); // put back as it was
    expect(await release(ADELE, [held.taskId], HR.toUpperCase())).toEqual([
      expect.objectContaining({ status: 'released' }),
    ]);
  });

  it.each([
    [
      '503 with Retry-After',
      graphError(503, 'busy', '30'),
      'The printer service is busy (503); your job is still held, try again in a moment.',
    ],
    [
      '429',
      graphError(429, 'throttled'),
      'The printer service is busy (429); your job is still held, try again in a moment.',
    ],
    [
      'a network error',
      new Error('socket hang up'),
      'The printer service is busy; your job is still held, try again in a moment.',
    ],
    [
      '400 not accepting jobs',
      graphError(400, 'The destination printer is not accepting jobs.'),
      'That printer cannot take this job now (it may be offline or not accepting jobs); your job is still held.',
    ],
    [
      '403',
      graphError(403, 'Forbidden'),
      'Release Gate is not allowed to move jobs to that printer; ask your administrator. Your job is still held.',
    ],
    [
      '500',
      graphError(500, 'Internal'),
      'The printer service is busy (500); your job is still held, try again in a moment.',
    ],
  ])('a redirect Graph refuses (%s): the job stays held and the answer says why', async (_label, error, reason) => {
    const { graph, holds, tasks, hold, release, log } = setUp();
    const { held, task } = await hold(ADELE);
    graph.fail('redirectJob', error);
    expect(await release(ADELE, [held.taskId], LIBRARY)).toEqual([{ taskId: held.taskId, status: 'failed', reason }]);
    expect(holds.held.get(held.taskId)).toEqual(held);
    expect(task.state).toBe('processing');
    expect(tasks.marks).toEqual([]);
    expect(log.events.map((e) => e.event)).toEqual(['hold.action-failed']);
    // The next try goes through.
    expect(await release(ADELE, [held.taskId], LIBRARY)).toEqual([expect.objectContaining({ status: 'released' })]);
  });

  it('a job Universal Print deleted: the release says expired, the hold ends and the audit says why', async () => {
    const { graph, holds, audit, hold, release } = setUp();
    const { held, job, task } = await hold(ADELE);
    graph.deleteJob(job.printerId, job.id);
    expect(await release(ADELE, [held.taskId], LIBRARY)).toEqual([
      { taskId: held.taskId, status: 'expired', reason: VANISHED_REASON },
    ]);
    expect(graph.calls.map((c) => c.method)).toEqual(['getPrinter', 'redirectJob', 'getJob', 'setTaskState']);
    expect(task.state).toBe('aborted'); // our task closed all the same
    expect(holds.held.has(held.taskId)).toBe(false);
    expect(audit.records.get(held.taskId)).toMatchObject({ outcome: 'hold-vanished' });
  });

  it('a 404 on the redirect while the job still exists is not a vanished job: it stays held', async () => {
    const { graph, holds, hold, release } = setUp();
    const { held } = await hold(ADELE);
    graph.fail('redirectJob', graphError(404, 'Not found (a replica behind)'));
    expect(await release(ADELE, [held.taskId], LIBRARY)).toEqual([
      expect.objectContaining({ status: 'failed', reason: 'The job could not be released; it is still held.' }),
    ]);
    expect(holds.held.has(held.taskId)).toBe(true);
  });
});

describe('listHeldJobs', () => {
  it('lists the owner’s jobs only, newest first, one Graph listing per printer', async () => {
    const { graph, deps, hold } = setUp();
    const older = await hold(ADELE, { heldAt: '2026-12-01T09:00:00.000Z', copies: 2 });
    const newer = await hold(ADELE, { heldAt: '2026-12-01T10:00:00.000Z' });
    await hold(MEGAN);
    const listed = await listHeldJobs(deps, owner(ADELE));
    expect(listed.jobs.map((j) => j.taskId)).toEqual([newer.held.taskId, older.held.taskId]);
    expect(listed.jobs[1]).toMatchObject({ copies: 2, printerId: QUEUE, documentName: older.held.documentName });
    expect(listed.expired).toEqual([]);
    expect(graph.calls).toEqual([{ method: 'listJobs', args: [QUEUE, ADELE.upn] }]);
  });

  it('says how each job will print: as sent, with the policy’s release configuration over it', async () => {
    const { deps, hold } = setUp();
    const sent = await hold(ADELE, {
      heldAt: '2026-12-01T10:00:00.000Z',
      copies: 3,
      colorMode: 'color',
      duplexMode: 'oneSided',
      mediaSize: 'A4',
    });
    const policed = await hold(ADELE, {
      heldAt: '2026-12-01T09:00:00.000Z',
      copies: 3,
      colorMode: 'color',
      duplexMode: 'oneSided',
      releaseConfiguration: { colorMode: 'grayscale', duplexMode: 'flipOnShortEdge', copies: 1 },
    });
    // Stored before colour and sides were kept: still listed, without them.
    const old = await hold(ADELE, { heldAt: '2026-12-01T08:00:00.000Z', copies: 2 });
    const { jobs } = await listHeldJobs(deps, owner(ADELE));
    expect(jobs.map((j) => [j.taskId, j.copies, j.color, j.sides, j.mediaSize])).toEqual([
      [sent.held.taskId, 3, 'color', 'one', 'A4'],
      [policed.held.taskId, 1, 'blackAndWhite', 'two', undefined],
      [old.held.taskId, 2, undefined, undefined, undefined],
    ]);
    expect(Object.keys(jobs[2]!)).not.toContain('color');
  });

  it('a job Universal Print deleted is reported once as expired, its hold ended; its task closed', async () => {
    const { graph, deps, holds, hold } = setUp();
    const kept = await hold(ADELE);
    const lost = await hold(ADELE);
    graph.deleteJob(lost.job.printerId, lost.job.id);
    const listed = await listHeldJobs(deps, owner(ADELE));
    expect(listed.jobs.map((j) => j.taskId)).toEqual([kept.held.taskId]);
    expect(listed.expired).toEqual([
      {
        taskId: lost.held.taskId,
        documentName: lost.held.documentName,
        heldAt: lost.held.heldAt,
        reason: VANISHED_REASON,
      },
    ]);
    expect(lost.task.state).toBe('aborted');
    expect(holds.held.has(lost.held.taskId)).toBe(false);
    expect((await listHeldJobs(deps, owner(ADELE))).expired).toEqual([]);
  });

  it('missing from the filtered list but still there (its own read answers): still held', async () => {
    const { graph, deps, hold } = setUp();
    const { held, job } = await hold(ADELE);
    job.ownerUpn = 'adele.renamed@contoso.example'; // the list filter no longer matches
    const listed = await listHeldJobs(deps, owner(ADELE));
    expect(listed.jobs.map((j) => j.taskId)).toEqual([held.taskId]);
    expect(graph.count('getJob')).toBe(1);
  });

  it('when Graph cannot be asked, the holds are shown as they are (a transient failure ends nothing)', async () => {
    const { graph, deps, hold, log } = setUp();
    const { held } = await hold(ADELE);
    graph.fail('listJobs', graphError(503, 'busy'));
    const listed = await listHeldJobs(deps, owner(ADELE));
    expect(listed).toEqual({ jobs: [expect.objectContaining({ taskId: held.taskId })], expired: [] });
    expect(log.events).toEqual([expect.objectContaining({ level: 'warn', event: 'hold.check-failed' })]);
  });
});

describe('deleteHeldJobs', () => {
  it('aborts the job with the reason its owner sees, closes the task and audits it', async () => {
    const { graph, deps, holds, audit, hold } = setUp();
    const { held, job, task } = await hold(ADELE);
    expect(await deleteHeldJobs(deps, { owner: owner(ADELE), taskIds: [held.taskId] })).toEqual([
      { taskId: held.taskId, status: 'deleted' },
    ]);
    expect(graph.calls.find((c) => c.method === 'abortJob')!.args[2]).toBe(
      'Deleted by its owner before it was released.',
    );
    expect(job.state).toBe('aborted');
    expect(task.state).toBe('aborted');
    expect(holds.held.has(held.taskId)).toBe(false);
    expect(audit.records.get(held.taskId)).toMatchObject({ outcome: 'hold-deleted' });
  });

  it('a job already gone is deleted all the same; a Graph outage keeps it held', async () => {
    const { graph, deps, holds, hold } = setUp();
    const gone = await hold(ADELE);
    graph.deleteJob(gone.job.printerId, gone.job.id);
    expect(await deleteHeldJobs(deps, { owner: owner(ADELE), taskIds: [gone.held.taskId] })).toEqual([
      { taskId: gone.held.taskId, status: 'deleted' },
    ]);
    const busy = await hold(ADELE);
    graph.fail('abortJob', graphError(503, 'busy'));
    expect(await deleteHeldJobs(deps, { owner: owner(ADELE), taskIds: [busy.held.taskId] })).toEqual([
      {
        taskId: busy.held.taskId,
        status: 'failed',
        reason: 'The job could not be deleted (Error503: busy); it is still held.',
      },
    ]);
    expect(holds.held.has(busy.held.taskId)).toBe(true);
  });
});

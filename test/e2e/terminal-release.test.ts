import type { Sandbox } from '../../sandbox/sandbox';
import { DEMO_APP_CLIENT_ID } from '../../sandbox/simulator/demo-tenant';
import { DEMO_PRINTER_IDS } from '../../sandbox/demo/demo-printers';
import { terminalKeyHash } from '../../src/release/terminal-release';
import { holdJob, startPullPrintingSandbox } from '../support/pull-printing';
import { waitFor } from '../support/wait';

/** Release terminals (badge readers, printer panels) against the sandbox. */
describe('release terminals', () => {
  let sandbox: Sandbox;
  const KEY = 'terminal-key-with-plenty-of-entropy-1234567890';

  const terminal = async (
    body: unknown,
    headers: Record<string, string> = { 'x-terminal-id': 'library-panel', 'x-terminal-key': KEY },
  ) => {
    const response = await fetch(`${sandbox.host.url}/api/terminal/release`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as {
        results?: { taskId: string; status: string; printerId?: string; reason?: string }[];
        error?: { code: string; message: string };
      },
    };
  };
  let pull: Awaited<ReturnType<typeof startPullPrintingSandbox>>;
  const hold = async (upn: string) => (await holdJob(pull, upn, 'Terminal job.pdf')).task;

  beforeAll(async () => {
    pull = await startPullPrintingSandbox({
      // Every printer may be a release printer here: the terminal's binding is what is under test.
      RELEASE_GATE_RELEASE_PRINTERS: '',
      RELEASE_GATE_TERMINALS: JSON.stringify([
        { id: 'library-panel', printerId: DEMO_PRINTER_IDS.library, keySha256: terminalKeyHash(KEY) },
        // A second terminal at the same printer (a lobby panel).
        { id: 'lobby-panel', printerId: DEMO_PRINTER_IDS.library, keySha256: terminalKeyHash(KEY) },
        // A mistake: a terminal bound to the pull queue itself.
        { id: 'queue-panel', printerId: DEMO_PRINTER_IDS.pullQueue, keySha256: terminalKeyHash(KEY) },
      ]),
    });
    sandbox = pull.sandbox;
  }, 60000);
  afterAll(async () => sandbox?.stop());

  it('refuses an unknown terminal or a wrong key', async () => {
    expect(
      (await terminal({ badge: 'S2005' }, { 'x-terminal-id': 'library-panel', 'x-terminal-key': 'guess' })).status,
    ).toBe(401);
    expect((await terminal({ badge: 'S2005' }, { 'x-terminal-id': 'other', 'x-terminal-key': KEY })).status).toBe(401);
    expect((await terminal({ badge: 'S2005' }, {})).status).toBe(401);
  });

  it('a badge swipe releases all of its owner’s held jobs to the terminal’s own printer', async () => {
    const tasks = [await hold('lee.student@contoso.example'), await hold('lee.student@contoso.example')];
    const result = await terminal({ badge: 'S2005' }); // Lee's employeeId
    expect(result.status).toBe(200);
    expect(result.body.results?.map((r) => [r.status, r.printerId])).toEqual([
      ['released', DEMO_PRINTER_IDS.library],
      ['released', DEMO_PRINTER_IDS.library],
    ]);
    expect(tasks.every((t) => t.status.state === 'completed')).toBe(true);
    // An unknown badge gets the answer every refusal gets: nothing says which badges exist.
    expect(await terminal({ badge: 'NOPE' })).toMatchObject({ status: 401, body: { error: { code: 'not_accepted' } } });
  });

  it('a job its policy keeps for one printer stays held when the badge is swiped elsewhere', async () => {
    const { task: confidential } = sandbox.simulator.tenant.submitJob({
      printerId: DEMO_PRINTER_IDS.hr, // the demo policy holds these for release at the HR printer only
      userPrincipalName: 'lee.student@contoso.example',
      document: { displayName: 'Salary review.pdf', size: 20_000 },
    });
    const ordinary = await hold('lee.student@contoso.example');
    await waitFor('the confidential hold', () =>
      pull.logs.some((l) => l.message.includes('"event":"task.finished"') && l.message.includes(confidential!.id)),
    );
    const result = await terminal({ badge: 'S2005' }); // at the library
    const byTask = new Map(result.body.results?.map((r) => [r.taskId, r]));
    expect(byTask.get(ordinary.id)).toMatchObject({ status: 'released' });
    expect(byTask.get(confidential!.id)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('can only be printed at the printer its policy names'),
    });
    expect(confidential!.status.state).toBe('processing');
  });

  it('a terminal cannot choose another printer', async () => {
    const result = await terminal({ badge: 'S2005', printerId: DEMO_PRINTER_IDS.hr });
    expect(result.status).toBe(400);
  });

  const setPin = async (upn: string, pin: string) => {
    const token = await sandbox.simulator.identity.userToken(upn, DEMO_APP_CLIENT_ID);
    const response = await fetch(`${sandbox.host.url}/api/release/jobs/pin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pin }),
    });
    return {
      status: response.status,
      body: response.status === 204 ? undefined : ((await response.json())),
    };
  };
  const lobby = { 'x-terminal-id': 'lobby-panel', 'x-terminal-key': KEY };

  it('the release page refuses short and guessable PINs (4 digits, repeats, runs, common ones)', async () => {
    for (const weak of ['4829', '111111', '123456', '654321', '121212', '147258'])
      expect([weak, await setPin('megan@contoso.example', weak)]).toEqual([
        weak,
        { status: 400, body: { error: { code: 'weak_pin', message: expect.stringMatching(/^pin: /) } } },
      ]);
    expect((await setPin('megan@contoso.example', '482916')).status).toBe(204);
  });

  it('user name and PIN; a stranger’s wrong PINs slow that terminal down for the user, never lock them out elsewhere', async () => {
    expect((await setPin('megan@contoso.example', '482916')).status).toBe(204);
    const task = await hold('megan@contoso.example');
    const wrong = await terminal({ userPrincipalName: 'megan@contoso.example', pin: '000001' });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'not_accepted' } } });
    const ok = await terminal({ userPrincipalName: 'megan@contoso.example', pin: '482916' });
    expect(ok.body.results?.[0]?.status).toBe('released');
    expect(task.status.state).toBe('completed');

    // A stranger at the library panel tries PINs for Megan: the answers never change (no 423).
    for (let i = 0; i < 6; i++)
      expect(await terminal({ userPrincipalName: 'megan@contoso.example', pin: '111112' })).toEqual(wrong);
    const next = await hold('megan@contoso.example');
    // There she must wait now, and is told exactly what every refusal is told ...
    expect(await terminal({ userPrincipalName: 'megan@contoso.example', pin: '482916' })).toEqual(wrong);
    expect(next.status.state).toBe('processing');
    // ... but at the lobby panel her PIN works.
    expect((await terminal({ userPrincipalName: 'megan@contoso.example', pin: '482916' }, lobby)).body.results).toEqual(
      [expect.objectContaining({ taskId: next.id, status: 'released' })],
    );
    // Her own new PIN on the release page clears the wait at the library panel.
    expect((await setPin('megan@contoso.example', '583027')).status).toBe(204);
    const third = await hold('megan@contoso.example');
    expect((await terminal({ userPrincipalName: 'megan@contoso.example', pin: '583027' })).body.results).toEqual([
      expect.objectContaining({ taskId: third.id, status: 'released' }),
    ]);

    // No PIN set, an unknown name, an unknown badge: the same answer as a wrong PIN.
    expect(await terminal({ userPrincipalName: 'adele@contoso.example', pin: '739146' }, lobby)).toEqual(wrong);
    expect(await terminal({ userPrincipalName: 'nobody@contoso.example', pin: '739146' }, lobby)).toEqual(wrong);
    expect(await terminal({ badge: 'NOPE-2' }, lobby)).toEqual(wrong);
  }, 30000);

  it('the badge-injection value is refused (400) and releases nobody’s jobs', async () => {
    const victim = await hold('megan@contoso.example');
    for (const badge of [
      '%27 or userPrincipalName eq %27megan@contoso.example',
      "' or userPrincipalName eq 'megan@contoso.example",
    ])
      expect(await terminal({ badge }, lobby)).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_badge' } },
      });
    expect(victim.status.state).toBe('processing');
    expect(pull.logs.some((l) => l.message.includes('terminal.badge-lookup-failed'))).toBe(false);
  });

  it('a user name with / or a malformed PIN is a clear 400 at once, not a 500', async () => {
    expect(await terminal({ userPrincipalName: 'megan/x@contoso.example', pin: '482916' }, lobby)).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_user_name' } },
    });
    expect((await terminal({ userPrincipalName: 'megan@contoso.example', pin: '48-916' }, lobby)).status).toBe(400);
  });

  it('a pull queue is no place to release to: the release API refuses it (400), a terminal bound to one too (409)', async () => {
    // No RELEASE_GATE_RELEASE_PRINTERS here: any printer may be chosen, yet not the pull queue.
    const task = await hold('adele@contoso.example');
    const token = await sandbox.simulator.identity.userToken('adele@contoso.example', DEMO_APP_CLIENT_ID);
    const response = await fetch(`${sandbox.host.url}/api/release/jobs/release`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ taskIds: [task.id], printerId: DEMO_PRINTER_IDS.pullQueue }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 'not_a_printer', message: expect.stringContaining('pull queue') },
    });
    expect(task.status.state).toBe('processing'); // still held, nothing claimed

    const refused = await terminal({ badge: 'E1002' }, { 'x-terminal-id': 'queue-panel', 'x-terminal-key': KEY });
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'not_a_printer' } } });
    expect(task.status.state).toBe('processing');
    expect((await terminal({ badge: 'E1002' })).body.results).toEqual([
      expect.objectContaining({ taskId: task.id, status: 'released' }),
    ]);
  });

  it('a held job Universal Print deleted is reported as expired at the terminal, not as still held', async () => {
    const task = await hold('sam.student@contoso.example');
    // Universal Print deletes blocked jobs "eventually": now, for every job still held in this sandbox.
    expect(sandbox.simulator.tenant.deleteBlockedJobs(0).length).toBeGreaterThanOrEqual(1);
    const result = await terminal({ badge: 'S2004' });
    expect(result.status).toBe(200);
    expect(result.body.results).toEqual([
      { taskId: task.id, status: 'expired', reason: expect.stringContaining('Universal Print deleted this job') },
    ]);
    expect(task.status.state).toBe('aborted'); // its task closed all the same
  });
});

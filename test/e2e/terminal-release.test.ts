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
      ]),
    });
    sandbox = pull.sandbox;
  }, 60000);
  afterAll(async () => sandbox?.stop());

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

  const setPin = async (upn: string, pin: string) => {
    const token = await sandbox.simulator.identity.userToken(upn, DEMO_APP_CLIENT_ID);
    const response = await fetch(`${sandbox.host.url}/api/release/jobs/pin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pin }),
    });
    return {
      status: response.status,
      body: response.status === 204 ? undefined : await response.json(),
    };
  };
  const lobby = { 'x-terminal-id': 'lobby-panel', 'x-terminal-key': KEY };

  it('a PIN set on the release page releases at a terminal with the user name; a wrong one does not', async () => {
    // The wiring: the release API's PIN store and the terminal's are one table (rules and back-off: unit tests).
    expect((await setPin('megan@contoso.example', '482916')).status).toBe(204);
    const task = await hold('megan@contoso.example');
    const wrong = await terminal({ userPrincipalName: 'megan@contoso.example', pin: '000001' });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'not_accepted' } } });
    expect(task.status.state).toBe('processing');
    const ok = await terminal({ userPrincipalName: 'megan@contoso.example', pin: '482916' }, lobby);
    expect(ok.body.results?.[0]?.status).toBe('released');
    expect(task.status.state).toBe('completed');
  });
});

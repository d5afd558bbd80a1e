import { DEMO_PRINTER_IDS } from '../../sandbox/demo/demo-printers';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import type { Sandbox } from '../../sandbox/sandbox';
import type { JobConfiguration } from '../../sandbox/simulator/model';
import { SPA_REFRESH_TOKEN_LIFETIME_MS } from '../../sandbox/simulator/sign-in';
import { launchChromium } from '../support/browser';
import { holdJob, startPullPrintingSandbox } from '../support/pull-printing';
import { waitFor } from '../support/wait';

/** The phone flow's screenshots (git-ignored); docs/screenshots/ keeps a committed copy for the README. */
const SCREENSHOTS = path.resolve(__dirname, '../../test-output/screenshots');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const PHONE = { width: 390, height: 844 };

/** Visible controls smaller than 44 × 44 px (for a checkbox, its row: that is what a finger taps). */
const TAP_TARGETS = `[...document.querySelectorAll('button, select, input, summary, a[href]')]
  .filter((e) => { const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; })
  .map((e) => (e.type === 'checkbox' ? e.closest('label') : e))
  .map((e) => ({ e, b: e.getBoundingClientRect() }))
  .filter(({ b }) => b.height < 44 || b.width < 44)
  .map(({ e, b }) => e.tagName.toLowerCase() + '#' + e.id + ' "' + e.textContent.trim().slice(0, 30) + '" is '
    + Math.round(b.width) + '×' + Math.round(b.height) + ' px')`;

interface AxeResults {
  passes: { id: string }[];
  violations: { id: string; help: string; nodes: { target: string[] }[] }[];
}

/**
 * The rules whose answer can change with `prefers-color-scheme`: the style sheet changes only colours
 * in dark mode (custom properties), so the other WCAG rules give the same answer as in light mode.
 */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/**
 * Runs axe-core (WCAG 2.2 AA) on the page as it is: every rule of the WCAG tags in light mode, then
 * the colour rules in dark mode (the only ones dark mode can change; running all again doubles this
 * test's time for the same answers). Checks every visible control is at least 44 × 44 px (a
 * checkbox's tap target is its row). The summary goes to the test output; violations fail the test.
 */
async function audit(page: Page, state: string, summary: string[]): Promise<void> {
  const problems: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // CDP evaluation is not subject to the page's CSP (which forbids any script not from the app).
    if (!(await page.evaluate("'axe' in window"))) await page.evaluate(AXE_SOURCE);
    const only = colorScheme === 'light' ? { type: 'tag', values: WCAG_TAGS } : { type: 'rule', values: COLOUR_RULES };
    const results = await page.evaluate<AxeResults>(
      `axe.run(document, { runOnly: ${JSON.stringify(only)}, resultTypes: ['violations'] })`,
    );
    summary.push(
      `${state.padEnd(16)} ${colorScheme.padEnd(5)}  rules passed ${String(results.passes.length).padStart(2)}  violations ${results.violations.length}`,
    );
    for (const v of results.violations)
      problems.push(
        `${state} (${colorScheme}): ${v.id} ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      );
  }
  await page.emulateMedia({ colorScheme: 'light' });
  const small = await page.evaluate<string[]>(TAP_TARGETS);
  problems.push(...small.map((s) => `${state}: ${s}`));
  expect(problems).toEqual([]);
}

/** Holds requests to a URL until released: a state in between (signing in, sending) stays on screen. */
async function holdRequests(page: Page, url: string) {
  const passed: Promise<void>[] = [];
  let release: () => void = () => undefined;
  const open = new Promise<void>((resolve) => (release = resolve));
  await page.route(url, (route: Route) => {
    const continued = open.then(() => route.continue());
    passed.push(continued);
    return continued;
  });
  return {
    waitUntilHeld: () => waitFor(`a request to ${url}`, () => passed.length > 0),
    release: async () => {
      release();
      await Promise.all(passed);
      await page.unroute(url);
    },
  };
}

/**
 * The release page in a real (headless) browser on a phone-sized screen against the sandbox: the user
 * scans the library printer's QR code, signs in at the simulator's Entra ID, sees their held jobs and
 * prints them all there. Every state is checked with axe-core in light and dark mode.
 */
describe('the release page in a browser', () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let pull: Awaited<ReturnType<typeof startPullPrintingSandbox>>;
  const summary: string[] = [];
  const hold = (upn: string, name: string, size: number, configuration?: JobConfiguration) =>
    holdJob(pull, upn, name, { size, ...(configuration ? { configuration } : {}) });
  const phone = (): Promise<BrowserContext> =>
    browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: PHONE,
      deviceScaleFactor: 1,
      isMobile: true,
      hasTouch: true,
    });
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
    // HQ Floor 2 Mono too, so a printer in error on floor 1 has a neighbour; statuses read fresh each time.
    pull = await startPullPrintingSandbox({
      RELEASE_GATE_RELEASE_PRINTERS: JSON.stringify([
        DEMO_PRINTER_IDS.library,
        DEMO_PRINTER_IDS.floor1Color,
        DEMO_PRINTER_IDS.floor2Mono,
      ]),
      RELEASE_GATE_PRINTER_STATUS_CACHE_SECONDS: '0',
      RELEASE_GATE_DELEGATION: 'on',
    });
    sandbox = pull.sandbox;
  }, 60000);
  afterAll(async () => {
    if (summary.length)
      process.stdout.write(`\naxe-core (${WCAG_TAGS.join(', ')}) on the release page:\n${summary.join('\n')}\n`);
    await browser?.close();
    await sandbox?.stop();
  });

  it('QR link → sign in → print all here → done: feedback by the button, each job’s status, no axe violations', async () => {
    const [report, pass] = await Promise.all([
      hold('adele@contoso.example', 'Quarterly report.pdf', 2_400_000, {
        copies: 2,
        colorMode: 'color',
        duplexMode: 'flipOnLongEdge',
        mediaSize: 'A4',
      }),
      hold('adele@contoso.example', 'Boarding pass.pdf', 180_000, { colorMode: 'grayscale' }),
      hold('megan@contoso.example', 'Megan private.pdf', 90_000),
    ]);
    const library = sandbox.simulator.demo!.printers.library;
    const qrLink = `${sandbox.host.url}/api/release?printer=${library.id}`;

    const context = await phone();
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') failures.push(message.text());
    });

    // Scanned (with an expiry warning's keep link for the boarding pass): sent to sign in at the authority.
    await page.goto(`${qrLink}&keep=${pass.task.id}`);
    await page.getByRole('button', { name: /Adele Vance/ }).waitFor();
    await shot(page, '1-sign-in');
    const token = await holdRequests(page, '**/oauth2/v2.0/token');
    await page.getByRole('button', { name: /Adele Vance/ }).click();
    await token.waitUntilHeld();
    await expect(page.locator('#status').textContent()).resolves.toBe('Signing you in…');
    await expect(page.locator('#account').isVisible()).resolves.toBe(false);
    await audit(page, 'signing in', summary);
    await token.release();

    // The keep link, followed once signed in: said in the job's row and the status line.
    await page.getByText(/^Boarding pass\.pdf: kept until /).waitFor();
    await expect(
      page.locator('#jobs li', { hasText: 'Boarding pass' }).locator('.job-status').textContent(),
    ).resolves.toMatch(/^Kept until /);
    // The printer from the QR code at the top, with where it is; the jobs with how they will print.
    expect(page.url()).toBe(qrLink); // the code and the keep are gone from the address
    await expect(page.locator('#user').textContent()).resolves.toBe('adele@contoso.example');
    await expect(page.locator('h1').textContent()).resolves.toBe(library.displayName);
    await expect(page.locator('#printer-location').textContent()).resolves.toBe('School, Main, floor 0');
    const jobs = page.locator('#jobs li');
    const texts = await jobs.allTextContents();
    expect(texts.sort()).toEqual([
      expect.stringMatching(/^Boarding pass\.pdf.*Black and white.*176 kB.*Kept for \d+ h \(until /),
      expect.stringMatching(/^Quarterly report\.pdf.*Colour · Two-sided · 2 copies · A4 · 2\.3 MB.*Kept for/),
    ]);
    await expect(page.locator('#no-jobs').isVisible()).resolves.toBe(false);
    // One primary action, on screen without scrolling; selecting changes what it says.
    const button = page.locator('#release');
    await expect(button.textContent()).resolves.toBe('Print all here');
    const box = (await button.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(PHONE.height);
    await page.getByRole('checkbox', { name: /Boarding pass/ }).check();
    await expect(button.textContent()).resolves.toBe('Print 1 selected');
    await page.getByRole('checkbox', { name: /Boarding pass/ }).uncheck();
    await audit(page, 'list with jobs', summary);
    // Keep longer, by its button: the button says until when, and the row then says it was kept.
    const keepButton = page
      .locator('#jobs li', { hasText: 'Quarterly report' })
      .getByRole('button', { name: /Keep longer \(until / });
    await keepButton.click();
    await page.getByText(/^Quarterly report\.pdf: kept until /).waitFor();
    await audit(page, 'kept longer', summary);
    await expect(page.getByText('2 jobs waiting for you.').count()).resolves.toBe(0);
    await shot(page, '2-jobs');

    // Print all here: while it is sent, the button says so and cannot be tapped again.
    const sending = await holdRequests(page, '**/api/release/jobs/release');
    await button.click();
    await sending.waitUntilHeld();
    await expect(button.isDisabled()).resolves.toBe(true);
    await expect(button.textContent()).resolves.toBe('Sending 2 jobs…');
    await expect(page.locator('#result').textContent()).resolves.toBe(`Sending to ${library.displayName}…`);
    await audit(page, 'sending', summary);
    await shot(page, '3-sending');
    await sending.release();

    // Done: the result beside the button (a live region), and each job's own status.
    const done = `2 of 2 sent to the printer. Collect them at ${library.displayName}.`;
    await page.locator('#result', { hasText: done }).waitFor();
    await expect(page.locator('#result').getAttribute('aria-live')).resolves.toBe('polite');
    await expect(page.locator('#jobs .job-status').allTextContents()).resolves.toEqual([
      `Sent to ${library.displayName}.`,
      `Sent to ${library.displayName}.`,
    ]);
    await expect(page.locator('#jobs input').count()).resolves.toBe(0);
    await expect(page.locator('#release').isVisible()).resolves.toBe(false); // nothing left to print
    await expect(page.locator('#status').textContent()).resolves.toBe(''); // no "0 jobs waiting"
    await audit(page, 'success', summary);
    await shot(page, '4-done');

    // In the simulator: both moved to the library printer, as sent (release-flow tests follow them to paper).
    for (const held of [report, pass]) {
      const moved = [...(sandbox.simulator.tenant.jobs.get(library.id)?.values() ?? [])].find((j) =>
        j.redirectedFrom?.endsWith(`/jobs/${held.job.id}`),
      );
      expect(moved?.configuration.colorMode).toBe(held.job.configuration.colorMode);
    }

    // Reopened: nothing waiting, said once.
    await page.reload();
    await page.locator('#no-jobs').waitFor(); // "You have no jobs waiting…", said once
    await expect(page.locator('#status').textContent()).resolves.toBe('');
    await audit(page, 'empty list', summary);
    expect(failures).toEqual([]);
    await context.close();
  }, 60000);

  it('an unknown printer in the QR link is said plainly and nothing is chosen; a failed release and a bad PIN say why where the user looks; delete', async () => {
    const poster = await hold('lee.student@contoso.example', 'Poster.pdf', 900_000);
    const context = await phone();
    const page = await context.newPage();
    await page.goto(`${sandbox.host.url}/api/release?printer=0f0f0f0f-0000-4000-8000-00000000dead`);
    await page.getByRole('button', { name: /Lee Student/ }).click();
    await page.getByText('This printer is not a release printer — pick where you are.').waitFor();
    await expect(page.locator('#printer').inputValue()).resolves.toBe('');
    await expect(page.locator('h1').textContent()).resolves.toBe('Choose where you are');
    // Lee is a student: the demo policy's colour quota, with the held poster reserved, said in words.
    await expect(page.locator('#quota-list').textContent()).resolves.toBe(
      'Colour copies this term (Demo term): 1 of 5 used, 4 left',
    );
    await audit(page, 'unknown printer', summary);
    await shot(page, '5-unknown-printer');
    // Printing without a printer asks for one; nothing is sent.
    await page.locator('#release').click();
    await expect(page.locator('#result').textContent()).resolves.toBe('Choose the printer you are at first.');
    await expect(page.locator('#jobs .job-status:visible').count()).resolves.toBe(0);
    // Chosen: it goes to the top and into the address (a reload keeps it).
    const floor1 = sandbox.simulator.demo!.printers.floor1Color;
    await page.locator('#printer').selectOption(floor1.id);
    await expect(page.locator('h1').textContent()).resolves.toBe(floor1.displayName);
    expect(new URL(page.url()).searchParams.get('printer')).toBe(floor1.id);

    // The printer refuses the job (409): said beside the button and on the job, which stays selectable.
    const fault = sandbox.simulator.faults.add({ method: 'POST', path: '/jobs/[^/]+/redirect$', status: 409 });
    try {
      await page.locator('#release').click();
      await page.locator('#result', { hasText: '0 of 1 sent to the printer. See each job for why.' }).waitFor();
    } finally {
      sandbox.simulator.faults.remove(fault.id);
    }
    await expect(page.locator('#jobs .job-status').textContent()).resolves.toMatch(
      /^Not sent: That printer cannot take this job now .*; your job is still held\.$/,
    );
    await expect(page.getByRole('checkbox', { name: /Poster\.pdf/ }).isEnabled()).resolves.toBe(true);
    await expect(page.locator('#release').textContent()).resolves.toBe('Print all here');
    await audit(page, 'failure', summary);

    // Out of paper: refused with the reason beside the button, a ready printer nearby offered as a button.
    const status = sandbox.simulator.tenant.printer(floor1.id);
    status.status = { state: 'stopped', details: ['mediaEmpty'], description: '' };
    try {
      await page.locator('#release').click();
      await page
        .locator('#result', { hasText: `${floor1.displayName} is out of paper; your jobs are still held.` })
        .waitFor();
      const floor2 = sandbox.simulator.demo!.printers.floor2Mono;
      await page.getByRole('button', { name: `Print at ${floor2.displayName} — HQ, A, floor 2` }).waitFor();
      await audit(page, 'printer in error', summary);
      await shot(page, '5b-printer-in-error');
    } finally {
      status.status = { state: 'idle', details: [], description: '' };
    }

    // A PIN the server refuses: its reason in plain words next to the field, not the browser's.
    await page.locator('#pin-section summary').click();
    await expect(page.locator('#pin-rules').textContent()).resolves.toMatch(/6 to 12 digits\. Not one digit repeated/);
    await page.getByLabel('New PIN').fill('123456');
    await page.getByRole('button', { name: 'Set PIN' }).click();
    await page.locator('#pin-error', { hasText: 'A PIN cannot be a run of digits such as 123456.' }).waitFor();
    await expect(page.getByLabel('New PIN').getAttribute('aria-invalid')).resolves.toBe('true');
    await audit(page, 'PIN error', summary);
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, '6-pin-error-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByLabel('New PIN').fill('480915');
    await page.getByRole('button', { name: 'Set PIN' }).click();
    await page.getByText('Your release PIN is set.').waitFor();
    await expect(page.locator('#pin-error').isVisible()).resolves.toBe(false);

    // Deleted after confirmation: said on the job, and the job is aborted.
    page.on('dialog', (dialog) => void dialog.accept());
    await page.getByRole('checkbox', { name: /Poster\.pdf/ }).check();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await page.locator('#result', { hasText: '1 of 1 deleted.' }).waitFor();
    await expect(page.locator('#jobs .job-status').textContent()).resolves.toBe('Deleted.');
    await expect(page.locator('#release').isVisible()).resolves.toBe(false);
    await waitFor('the job aborted', () => poster.job.status.state === 'aborted');
    await context.close();
  }, 60000);

  it('remembers the sign-in for the 24 h Entra ID allows; switch account; sign-out forgets it', async () => {
    const context = await phone();
    let authorizeVisits = 0;
    context.on('request', (request) => {
      if (
        request.isNavigationRequest() &&
        request.method() === 'GET' &&
        request.url().includes('/oauth2/v2.0/authorize')
      )
        authorizeVisits++;
    });
    const first = await context.newPage();
    await first.goto(`${sandbox.host.url}/api/release`);
    await first.getByRole('button', { name: /Megan/ }).click();
    await first.locator('#account').waitFor();
    await first.close();
    expect(authorizeVisits).toBe(1);

    // Opened again in a new tab (another QR code scan): signed in with the refresh token, no redirect.
    const again = await context.newPage();
    await again.goto(`${sandbox.host.url}/api/release`);
    await again.locator('#account').waitFor();
    await expect(again.locator('#user').textContent()).resolves.toBe('megan@contoso.example');
    expect(authorizeVisits).toBe(1);
    await again.close();

    // After the refresh token's 24 hours: it is refused, and the page goes back to the sign-in.
    const start = Date.now();
    sandbox.simulator.signIn.now = () => start + SPA_REFRESH_TOKEN_LIFETIME_MS + 60_000;
    try {
      const later = await context.newPage();
      await later.goto(`${sandbox.host.url}/api/release`);
      await later.locator('#account').waitFor();
      expect(authorizeVisits).toBe(2);
      await later.close();
    } finally {
      sandbox.simulator.signIn.now = Date.now;
    }

    // Switch account: the account picker even though a session exists.
    const page = await context.newPage();
    await page.goto(`${sandbox.host.url}/api/release?printer=${sandbox.simulator.demo!.printers.library.id}`);
    await page.locator('#account').waitFor();
    await page.getByRole('button', { name: 'Switch account' }).click();
    await page.getByRole('button', { name: /Adele Vance/ }).click();
    await page.locator('#user', { hasText: 'adele@contoso.example' }).waitFor();

    // Sign out: the page's storage is emptied, the authority's session ends, the printer is kept.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    expect(page.url()).toBe(`${sandbox.host.url}/api/release?printer=${sandbox.simulator.demo!.printers.library.id}`);
    const stored = await page.evaluate('[...Object.keys(localStorage), ...Object.keys(sessionStorage)]');
    expect(stored).toEqual([]);
    await audit(page, 'signed out', summary);
    await page.getByRole('button', { name: 'Sign in with your work account' }).click();
    await page.getByRole('button', { name: /Adele Vance/ }).waitFor(); // asked again: no session left
    await context.close();
  });

  it('does not loop through sign-in when the API refuses a fresh token: it says so', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    let signIns = 0;
    page.on('request', (request) => {
      if (
        request.isNavigationRequest() &&
        request.url().includes('/oauth2/v2.0/authorize') &&
        request.method() === 'GET'
      )
        signIns++;
    });
    // As if the app's audience setting did not match the page's scope.
    await page.route('**/api/release/jobs', (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'unauthorized', message: 'Invalid token: unexpected "aud" claim value' },
        }),
      }),
    );
    await page.goto(`${sandbox.host.url}/api/release`);
    await page.getByRole('button', { name: /Adele Vance/ }).click();
    await page.getByText('Release Gate did not accept your sign-in').waitFor();
    await expect(page.locator('#error').textContent()).resolves.toContain('unexpected "aud" claim value');
    await expect(page.getByRole('button', { name: 'Sign in with your work account' }).isVisible()).resolves.toBe(true);
    expect(signIns).toBe(1);
    await context.close();
  });

  it('delegates: Adele names Megan, hands a job to Lee and takes it back; Megan sees Adele’s job “For Adele Vance”; axe on both', async () => {
    await hold('adele@contoso.example', 'Minutes.pdf', 60_000);
    const library = sandbox.simulator.demo!.printers.library;
    const context = await phone();
    const page = await context.newPage();
    await page.goto(`${sandbox.host.url}/api/release?printer=${library.id}`);
    await page.getByRole('button', { name: /Adele Vance/ }).click();
    await page.locator('#jobs li', { hasText: 'Minutes.pdf' }).waitFor();
    await page.getByText('Delegates: who may print your jobs').click();
    await page.getByLabel(/Find a colleague/).fill('Meg');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: 'Add Megan Bowen' }).click();
    await page.getByText('Megan Bowen may now print your jobs.').waitFor();
    await expect(page.locator('#delegates').textContent()).resolves.toContain('megan@contoso.example');
    // One job to one colleague, from the same panel; then taken back.
    await page.getByLabel('Hand one job to a colleague instead').selectOption({ label: 'Minutes.pdf' });
    await page.getByLabel(/Find a colleague/).fill('Lee');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: 'Hand to Lee Student' }).click();
    await page.getByText('Minutes.pdf → Lee Student').waitFor();
    await expect(page.locator('#jobs li', { hasText: 'Minutes.pdf' }).textContent()).resolves.toContain(
      'Handed to Lee Student',
    );
    await audit(page, 'delegates', summary);
    await page.getByRole('button', { name: 'Take back Minutes.pdf' }).click();
    await page.getByText('Taken back: only you can print it now.').waitFor();
    await expect(page.locator('#handed li').count()).resolves.toBe(0);
    await context.close();

    const megan = await (await phone()).newPage();
    await megan.goto(`${sandbox.host.url}/api/release?printer=${library.id}`);
    await megan.getByRole('button', { name: /Megan Bowen/ }).click();
    const row = megan.locator('#jobs li', { hasText: 'Minutes.pdf' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('For Adele Vance');
    await expect(megan.locator('#delegate-of').textContent()).resolves.toBe('You may print jobs for: Adele Vance.');
    await audit(megan, 'delegate’s list', summary);
    // Releasing it is the API's (test/unit/release/delegation.test.ts) and the demo's.
    await megan.context().close();
  }, 60000);
});

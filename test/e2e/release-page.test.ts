import path from 'node:path';
import type { Browser } from 'playwright-core';
import type { Sandbox } from '../../sandbox/sandbox';
import { launchChromium } from '../support/browser';
import { holdJob, startPullPrintingSandbox } from '../support/pull-printing';
import { waitFor } from '../support/wait';

const SCREENSHOT = path.resolve(__dirname, '../../docs/images/release-page.png');

/**
 * The release page in a real (headless) browser against the sandbox: the user scans the library
 * printer's QR code, signs in at the simulator's Entra ID, sees their held jobs, and prints one there.
 */
describe('the release page in a browser', () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let pull: Awaited<ReturnType<typeof startPullPrintingSandbox>>;
  const hold = (upn: string, name: string, size: number) => holdJob(pull, upn, name, { size });

  beforeAll(async () => {
    browser = await launchChromium();
    pull = await startPullPrintingSandbox();
    sandbox = pull.sandbox;
  }, 60000);
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  it('signs in, lists only my held jobs, and prints one at the QR code’s printer', async () => {
    const report = await hold('adele@contoso.example', 'Quarterly report.pdf', 2_400_000);
    await hold('adele@contoso.example', 'Boarding pass.pdf', 180_000);
    await hold('megan@contoso.example', 'Megan private.pdf', 90_000);
    const library = sandbox.simulator.demo!.printers.library;

    // The simulator serves HTTPS with the sandbox's own CA, which this browser does not know.
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
    });
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') failures.push(message.text());
    });

    await page.goto(`${sandbox.host.url}/api/release?printer=${library.id}`);
    // Sent to sign in: pick the demo user.
    await page.getByRole('button', { name: /Adele Vance/ }).click();
    await page.getByText('2 jobs are waiting for you.').waitFor();
    expect(page.url()).toBe(`${sandbox.host.url}/api/release?printer=${library.id}`); // the code is gone
    await expect(page.locator('#user').textContent()).resolves.toBe('adele@contoso.example');
    const jobs = page.locator('#jobs li');
    await expect(jobs.allTextContents()).resolves.toEqual([
      expect.stringContaining('Boarding pass.pdf'),
      expect.stringContaining('Quarterly report.pdf'),
    ]);
    // The printer from the QR code is chosen, with where to find it.
    await expect(page.locator('#printer').inputValue()).resolves.toBe(library.id);
    await expect(page.locator('#printer-location').textContent()).resolves.toBe('School, Main, floor 0');
    if (process.env.RELEASE_GATE_UPDATE_SCREENSHOTS === '1')
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await page.getByRole('checkbox', { name: /Quarterly report\.pdf/ }).check();
    await page.getByRole('checkbox', { name: 'Black and white' }).check();
    await page.getByRole('button', { name: 'Print selected' }).click();
    await page.getByText('1 of 1 sent to the printer.').waitFor();
    await expect(jobs.allTextContents()).resolves.toEqual([expect.stringContaining('Boarding pass.pdf')]);

    // In the simulator: the job moved to the library printer, in grayscale, and printed.
    const printed = await waitFor('the job on the library printer', () =>
      [...(sandbox.simulator.tenant.jobs.get(library.id)?.values() ?? [])].find((j) =>
        j.redirectedFrom?.endsWith(`/jobs/${report.job.id}`),
      ),
    );
    expect(printed.configuration.colorMode).toBe('grayscale');
    await waitFor('the released job to print', () => printed.status.state === 'completed');
    expect(report.task.status.state).toBe('completed');
    expect(failures).toEqual([]);
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

  it('deletes a job after confirmation', async () => {
    const held = await hold('sam.student@contoso.example', 'Essay draft.pdf', 40_000);
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${sandbox.host.url}/api/release`);
    await page.getByRole('button', { name: /Sam Student/ }).click();
    await page.getByText('1 job is waiting for you.').waitFor();
    await page.getByLabel('Select all').check();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByText('1 of 1 deleted.').waitFor();
    await expect(page.locator('#no-jobs').isVisible()).resolves.toBe(true);
    await waitFor('the job aborted', () => held.job.status.state === 'aborted');
    await context.close();
  });
});

/**
 * `npm run setup:browser` (and before `npm test`): makes sure the browser tests have a Chromium.
 * Debian's `chromium-headless-shell` is used, driven by playwright-core, which downloads nothing.
 * As root with apt-get (CI, fresh containers) it is installed; otherwise this says how, and the
 * browser tests fail with the same advice rather than being skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromiumPath } from '../test/support/browser';

function found(): string | undefined {
  try {
    return chromiumPath();
  } catch {
    return undefined;
  }
}

const existing = found();
if (existing) {
  console.log(`Browser for the tests: ${existing}`);
} else if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
  console.log('Installing chromium-headless-shell for the browser tests (apt-get)…');
  const apt = (...args: string[]) =>
    execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    apt('install', '-y', '--no-install-recommends', 'chromium-headless-shell');
  } catch {
    // A fresh machine may have no package lists yet.
    apt('update');
    apt('install', '-y', '--no-install-recommends', 'chromium-headless-shell');
  }
  console.log(`Browser for the tests: ${found() ?? 'still missing (see above)'}`);
} else {
  console.warn(
    'No Chromium for the browser tests: run `sudo apt-get install chromium-headless-shell` (Debian/Ubuntu), ' +
      'or set RELEASE_GATE_CHROMIUM to a Chromium binary. The browser tests fail until then.',
  );
}

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's headless Chromium, driven by playwright-core (which downloads nothing). The path can be
 * overridden with RELEASE_GATE_CHROMIUM. A missing browser fails the test with the way to install it.
 */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'];

export function chromiumPath(): string {
  const override = process.env.RELEASE_GATE_CHROMIUM;
  if (override) {
    if (!existsSync(override)) throw new Error(`RELEASE_GATE_CHROMIUM=${override} does not exist.`);
    return override;
  }
  const found = CHROMIUM_CANDIDATES.find((candidate) => existsSync(candidate));
  if (!found)
    throw new Error(
      'No Chromium for the browser tests. Install it with `npm run setup:browser` (as root it runs ' +
        '`apt-get install chromium-headless-shell`), or set RELEASE_GATE_CHROMIUM to a Chromium binary.',
    );
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    // This machine has no network beyond loopback: keep Chromium from calling home.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium: playwright-core drives it, nothing is downloaded (`playwright install` is never run). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A headless Chromium with everything that would phone home switched off. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: install Debian's browser (apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH`,
    );
  }
  const launch = (): Promise<Browser> =>
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 45_000,
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
  // A start that hangs (seen once in a fresh-clone run: no browser within 30 s on this 2-core machine) is
  // tried once more: what the tests check is the page, not how fast the browser starts.
  try {
    return await launch();
  } catch (err) {
    process.stderr.write(`chromium did not start (${String(err).split('\n')[0]}); trying once more\n`);
    return launch();
  }
}

/** Console errors and uncaught exceptions of `page`, collected for a final "nothing went wrong" check. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

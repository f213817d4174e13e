import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, or CHROMIUM_PATH. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless, and without the background connections a machine with no network refuses. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts headless Chromium, or fails saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the usage page tests need Chromium at ${CHROMIUM}, which does not exist: ` +
        'install it with `apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH)',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Collects into `problems` the page's script errors and console errors (content-security-policy
 * violations among them), except the browser's log of a failed request with the status a test
 * asks for on purpose.
 */
export function watchPageProblems(page: Page, problems: string[], expectedStatus?: number): void {
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    const expected = expectedStatus !== undefined && text.includes(`status of ${expectedStatus}`);
    if (message.type() === 'error' && !expected) problems.push(`console: ${text}`);
  });
}

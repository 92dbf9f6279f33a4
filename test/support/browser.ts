// A real headless Chromium for every page a person sees: Debian's chromium (provisioned by
// `pnpm test`, CHROMIUM_PATH) driven by playwright-core. Screenshots go to test-results/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/** Launches headless Chromium; `options.blockThirdPartyCookies` as Safari and cookie-less Chrome. */
export async function launchChromium(options: { blockThirdPartyCookies?: boolean } = {}) {
  const args = ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'];
  if (options.blockThirdPartyCookies) args.push('--test-third-party-cookie-phaseout');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH?.trim() || '/usr/bin/chromium',
    args,
  });
}

/** Saves a full-page screenshot as test-results/screenshots/NAME.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export type { Browser, Page };

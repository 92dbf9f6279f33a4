// A real headless Chromium for every page a person sees: Debian's chromium (provisioned by
// `pnpm test`, CHROMIUM_PATH) driven by playwright-core. Screenshots go to test-results/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'];
const executablePath = () => process.env.CHROMIUM_PATH?.trim() || '/usr/bin/chromium';

/**
 * Launches headless Chromium. Its contexts are incognito ones, which block third-party cookies
 * (Chromium's default for incognito; checked with Debian's chromium 156, where
 * `--test-third-party-cookie-phaseout` changes nothing and CDP's Network.setCookieControls cannot
 * allow them): for a choice either way, use `launchChromiumProfile`.
 */
export async function launchChromium() {
  return chromium.launch({ executablePath: executablePath(), args: ARGS });
}

/**
 * Chromium with a profile of its own whose third-party cookie setting is explicit: `block` as
 * Safari and Chrome without third-party cookies, `allow` as browsers that still send them.
 * The setting is Chrome's "profile.cookie_controls_mode" preference (0 allow, 1 block third-party
 * cookies); with no preference Chromium 156 blocks them in its regular profiles too.
 * Closing the returned context closes the browser and removes the profile.
 */
export async function launchChromiumProfile(options: {
  thirdPartyCookies: 'allow' | 'block';
  viewport?: { width: number; height: number };
}): Promise<BrowserContext> {
  const dir = mkdtempSync(join(tmpdir(), 'cds-chromium-'));
  mkdirSync(join(dir, 'Default'));
  writeFileSync(
    join(dir, 'Default', 'Preferences'),
    JSON.stringify({
      profile: {
        cookie_controls_mode: options.thirdPartyCookies === 'block' ? 1 : 0,
        block_third_party_cookies: options.thirdPartyCookies === 'block',
      },
    }),
  );
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: executablePath(),
    args: ARGS,
    headless: true,
    ...(options.viewport ? { viewport: options.viewport } : {}),
  });
  const close = context.close.bind(context);
  context.close = async (...args: Parameters<BrowserContext['close']>) => {
    await close(...args);
    // Chromium may still be writing its profile as it exits: a leftover temp dir fails nothing.
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch {
      /* left in the temp dir */
    }
  };
  return context;
}

/** Saves a full-page screenshot as test-results/screenshots/NAME.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export type { Browser, BrowserContext, Page };

// Chromium for the browser tests: Debian's `chromium`, driven by playwright-core (a downloaded
// browser does not work on our machines). Installed with apt-get when missing and we are root.
import { aptInstall } from './apt.js';
import type { Context } from './context.js';
import { ProvisionError } from './errors.js';
import { which } from './system.js';

export interface ChromiumResult {
  /** The executable the tests launch (CHROMIUM_PATH). */
  path: string;
  how: string;
}

/** CHROMIUM_PATH when set, else Debian's `chromium` on PATH, installed when missing (root only). */
export async function ensureChromium(ctx: Context, configured?: string): Promise<ChromiumResult> {
  if (configured) {
    if (which(configured) ?? (configured.startsWith('/') ? configured : null))
      return { path: configured, how: 'CHROMIUM_PATH' };
    throw new ProvisionError(`CHROMIUM_PATH is ${configured}, which is not an executable`);
  }
  const found = which('chromium');
  if (found) return { path: found, how: 'already installed' };
  if (!ctx.isRoot) {
    throw new ProvisionError(
      'the browser tests need Chromium: install Debian\'s "chromium" package (apt-get install chromium) or set CHROMIUM_PATH to a Chromium executable',
    );
  }
  await aptInstall(ctx, ['chromium']);
  const installed = which('chromium');
  if (!installed) throw new ProvisionError('apt-get installed chromium but it is not on PATH');
  return { path: installed, how: 'installed with apt-get' };
}

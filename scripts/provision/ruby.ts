// Ruby for the Discourse plugin's minitest suite (discourse-plugin/test): Debian's `ruby`, whose
// bundled minitest is all the tests need (no gems, no Bundler). Installed with apt-get when missing
// and we are root, as chromium.ts does for the browser.
import { spawnSync } from 'node:child_process';
import { aptInstall } from './apt.js';
import type { Context } from './context.js';
import { ProvisionError } from './errors.js';
import { which } from './system.js';

export interface RubyResult {
  /** The executable `pnpm test` runs the plugin's tests with (RUBY_PATH). */
  path: string;
  how: string;
}

const INSTALL_HINT =
  'the Discourse plugin tests need Ruby with minitest: install Debian\'s "ruby" package (apt-get install ruby) or set RUBY_PATH to a Ruby executable';

/** Whether `ruby` can load minitest (Debian's ruby bundles it; a bare build may not). */
function hasMinitest(ruby: string): boolean {
  const result = spawnSync(ruby, ['-e', 'require "minitest"'], {
    stdio: 'ignore',
    timeout: 30_000,
  });
  return result.status === 0;
}

function checked(path: string, how: string): RubyResult {
  if (!hasMinitest(path)) throw new ProvisionError(`${path} cannot load minitest: ${INSTALL_HINT}`);
  return { path, how };
}

/** RUBY_PATH when set, else Debian's `ruby` on PATH, installed when missing (root only). */
export async function ensureRuby(ctx: Context, configured?: string): Promise<RubyResult> {
  if (configured) {
    const path = which(configured) ?? (configured.startsWith('/') ? configured : null);
    if (!path) throw new ProvisionError(`RUBY_PATH is ${configured}, which is not an executable`);
    return checked(path, 'RUBY_PATH');
  }
  const found = which('ruby');
  if (found) return checked(found, 'already installed');
  if (!ctx.isRoot) throw new ProvisionError(INSTALL_HINT);
  await aptInstall(ctx, ['ruby']);
  const installed = which('ruby');
  if (!installed) throw new ProvisionError('apt-get installed ruby but it is not on PATH');
  return checked(installed, 'installed with apt-get');
}

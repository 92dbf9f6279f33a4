// Debian packages: one `apt-get update` per run, installs one at a time.
import type { Context } from './context.js';
import { ProvisionError } from './errors.js';
import { commandFailure, run, runChecked } from './run.js';
import { which } from './system.js';

/** Installs `packages` with apt-get (the caller checks that it runs as root). */
export function aptInstall(ctx: Context, packages: string[]): Promise<void> {
  const job = ctx.aptChain.then(async () => {
    const aptGet = which('apt-get');
    if (!aptGet) {
      throw new ProvisionError(
        `apt-get is not available, so ${packages.join(' ')} cannot be installed here: install it with your system's package manager.`,
      );
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const lock = ['-o', 'DPkg::Lock::Timeout=120'];
    if (!ctx.aptUpdated) {
      ctx.log('provision: apt-get update');
      const res = await run(aptGet, [...lock, 'update'], { env, prefix: 'apt', log: ctx.log });
      ctx.aptUpdated = true; // tried once per run, whatever came of it
      if (res.error || res.code !== 0) {
        ctx.log(
          `provision: warning: ${commandFailure('apt-get update', res).message}\nprovision: trying the install with the package lists there are`,
        );
      }
    }
    ctx.log(`provision: apt-get install ${packages.join(' ')}`);
    await runChecked(
      `Installing ${packages.join(' ')}`,
      aptGet,
      [...lock, 'install', '-y', '--no-install-recommends', ...packages],
      { env, prefix: 'apt', log: ctx.log },
    );
  });
  ctx.aptChain = job.catch(() => {});
  return job;
}

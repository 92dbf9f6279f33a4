// One provisioning run's state: how it logs, whether it is root, its apt-get queue.

export interface Context {
  /** Hides progress (apt output, "starting ..."). */
  quiet: boolean;
  /** Prints one summary line per service. */
  summary: boolean;
  isRoot: boolean;
  /** `apt-get update` runs at most once per run. */
  aptUpdated: boolean;
  /** Installs run one at a time. */
  aptChain: Promise<void>;
  /** Progress, on standard error unless quiet. */
  log: (message: string) => void;
}

export function makeContext(options: {
  quiet?: boolean;
  summary?: boolean;
  isRoot: boolean;
}): Context {
  const { quiet = false, summary = true, isRoot } = options;
  return {
    quiet,
    summary,
    isRoot,
    aptUpdated: false,
    aptChain: Promise.resolve(),
    log: (message) => {
      if (!quiet) console.error(message);
    },
  };
}

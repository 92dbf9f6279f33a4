// The failures provisioning expects: each message says what is wrong and what to do.

/** An expected failure: its message says what is wrong and what to do; no stack trace needed. */
export class ProvisionError extends Error {
  readonly code = 'ERR_PROVISION';

  constructor(message: string) {
    super(message);
    this.name = 'ProvisionError';
  }
}

/**
 * The message of an expected failure (ours, or a wrong URL setting, ERR_INVALID_CONFIG), else
 * undefined. Branches on `code`, not `instanceof` (CONVENTIONS.md #4).
 */
export function expectedMessage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code: unknown = (error as Error & { code?: unknown }).code;
  return code === 'ERR_PROVISION' || code === 'ERR_INVALID_CONFIG' ? error.message : undefined;
}

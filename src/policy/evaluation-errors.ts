/**
 * Why a policy could not decide, as far as the policy itself can tell. The processor retries a
 * transient failure through the queue and never turns it into a decision; a permanent one (a
 * broken policy) gets the fail-safe at once, with an error an admin sees.
 */
export class PolicyUnavailableError extends Error {
  constructor(
    message: string,
    /** True when trying again later may succeed (a time limit, a policy source not read yet). */
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PolicyUnavailableError';
  }
}

/** The policy or a plug-in condition did not answer within its time limit: worth another try. */
export class TimeLimitError extends PolicyUnavailableError {
  constructor(message: string) {
    super(message, true);
    this.name = 'TimeLimitError';
  }
}

/** The first PolicyUnavailableError in an error's cause chain (plug-in failures wrap theirs). */
export function policyUnavailable(error: unknown): PolicyUnavailableError | undefined {
  for (let e = error, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++)
    if (e instanceof PolicyUnavailableError) return e;
  return undefined;
}

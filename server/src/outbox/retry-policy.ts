/** How failed deliveries are retried: exponential backoff with jitter, a cap per delay, and a deadline. */
export interface RetryPolicy {
  /** The delay after the first failure (before jitter). @default 1000 */
  initialDelayMs: number;
  /** No single delay is longer than this. @default 3_600_000 (1 hour) */
  maxDelayMs: number;
  /**
   * A delivery still failing this long after its first attempt is given up (dead). With the
   * defaults that is about 35 attempts. @default 86_400_000 (24 hours)
   */
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 1000,
  maxDelayMs: 60 * 60 * 1000,
  giveUpAfterMs: 24 * 60 * 60 * 1000,
};

/**
 * The wait after failed attempt number `attempt` (1-based): `initialDelayMs · 2^(attempt-1)`, capped
 * at `maxDelayMs`, then scaled by a random factor in [0.5, 1) ("equal jitter"), so receivers that
 * failed together do not all get their retries in the same instant, while a retry never comes
 * sooner than half the nominal delay.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 52);
  const nominal = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  return Math.round(nominal * (0.5 + random() / 2));
}

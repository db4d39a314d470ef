/**
 * When a failed push is tried again: exponential backoff (`pushBackoffMs * 2^(attempt-1)`) with
 * ±20 % random jitter, so receivers coming back after an outage are not hit by every gateway worker
 * at the same instant, and never more than an hour apart.
 */
import type { BackoffStrategy } from 'bullmq';

/** The longest wait between two push attempts. */
export const PUSH_BACKOFF_CAP_MS = 60 * 60 * 1000;

/** Jitter as a fraction of the delay, both ways. */
export const PUSH_BACKOFF_JITTER = 0.2;

/**
 * The wait after the `attemptsMade`-th failed attempt (1 after the first), in milliseconds.
 * `random` returns a number in [0, 1), like Math.random.
 */
export function pushBackoffDelay(attemptsMade: number, baseMs: number, random: () => number = Math.random, capMs = PUSH_BACKOFF_CAP_MS): number {
  const exponent = Math.max(0, attemptsMade - 1);
  const nominal = Math.min(baseMs * 2 ** exponent, capMs);
  const jitter = nominal * PUSH_BACKOFF_JITTER * (2 * random() - 1);
  return Math.max(1, Math.round(Math.min(nominal + jitter, capMs)));
}

/** The strategy the push worker registers under PUSH_BACKOFF_TYPE. */
export function pushBackoffStrategy(baseMs: number, random: () => number = Math.random, capMs = PUSH_BACKOFF_CAP_MS): BackoffStrategy {
  return (attemptsMade: number) => pushBackoffDelay(attemptsMade, baseMs, random, capMs);
}

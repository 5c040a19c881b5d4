/** The delays of retries, of waiting out an unavailable dependency, and of the failure throttle. */

/** Exponential backoff with ±25 % jitter: base, 2 × base, 4 × base ... at most max. */
export function backoffDelay(retryCount: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.round(Math.min(baseMs * 2 ** retryCount, maxMs) * (0.75 + random() * 0.5));
}

/** The throttle's hold after `failures` failures in a row: base at the threshold, doubling, at most max. */
export function throttleDelay(failures: number, threshold: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, failures - threshold), maxMs);
}

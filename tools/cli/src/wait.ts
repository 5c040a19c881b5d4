/** Polls until a check answers a value (no fixed sleeps in callers; the interval grows to a second). */
import { setTimeout as delay } from 'node:timers/promises';

export async function waitUntil<T>(check: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
  let interval = intervalMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await delay(interval);
    interval = Math.min(1000, interval * 2);
  }
}

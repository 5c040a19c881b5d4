import { backoffDelay, throttleDelay } from './backoff';

describe('backoff', () => {
  it('doubles the retry delay from the base, with at most 25 % jitter either way, and stops at the maximum', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 0.5)).toBe(8000);
    expect(backoffDelay(3, 1000, 60_000, () => 0)).toBe(6000);
    expect(backoffDelay(3, 1000, 60_000, () => 1)).toBe(10_000);
    expect(backoffDelay(20, 1000, 60_000, () => 0.5)).toBe(60_000);
  });

  it('holds a throttled definition for the base at the threshold, doubling with each further failure up to the maximum', () => {
    expect(throttleDelay(3, 3, 30_000, 600_000)).toBe(30_000);
    expect(throttleDelay(4, 3, 30_000, 600_000)).toBe(60_000);
    expect(throttleDelay(5, 3, 30_000, 600_000)).toBe(120_000);
    expect(throttleDelay(50, 3, 30_000, 600_000)).toBe(600_000);
  });
});

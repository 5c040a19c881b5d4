/**
 * The KRaft cluster id the storage is formatted with. One base64url id in 64 starts with '-',
 * which kafka-storage's argument parser takes for an option: the broker then never formatted and
 * a test run failed in its global setup.
 */
import { clusterId } from './apache-kafka';

describe('clusterId', () => {
  it('is 16 bytes in base64url without padding, and never starts with a dash', () => {
    const ids = Array.from({ length: 5000 }, () => clusterId());
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    // Random: 5,000 ids are all different, and a dash still appears inside some of them.
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.some((id) => id.includes('-'))).toBe(true);
  });
});

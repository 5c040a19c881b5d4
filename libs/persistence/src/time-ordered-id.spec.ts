import { timeOrderedId } from './time-ordered-id';

describe('timeOrderedId', () => {
  it('makes UUIDv7 ids that sort in the order they were made, within one millisecond too', () => {
    const ids = Array.from({ length: 5000 }, () => timeOrderedId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // PostgreSQL compares uuids byte by byte, as these lower-case strings compare.
    expect([...ids].sort()).toEqual(ids);
  });

  it('leads with the time it was made, in milliseconds', () => {
    const before = Date.now();
    const id = timeOrderedId();
    const after = Date.now();
    const millis = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(millis).toBeGreaterThanOrEqual(before);
    expect(millis).toBeLessThanOrEqual(after);
  });
});

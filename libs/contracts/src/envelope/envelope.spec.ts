import { parseEnvelope } from './envelope';

const valid = {
  id: '0b7c4f5e-9c1b-4d51-9a77-8f0e6f7f9a10',
  type: 'record.updated',
  schemaVersion: 1,
  occurredAt: '2026-11-25T10:00:00.000Z',
  source: 'event-gateway',
  correlationId: 'c-1',
  depth: 1,
  payload: { entity: 'account' },
};

describe('parseEnvelope', () => {
  it('accepts a complete envelope and keeps its payload', () => {
    const result = parseEnvelope(Buffer.from(JSON.stringify(valid)));
    expect(result).toEqual({ ok: true, envelope: valid });
  });

  it('names the missing and the mistyped fields', () => {
    const { id: _id, ...withoutId } = valid;
    const result = parseEnvelope(JSON.stringify({ ...withoutId, depth: -1 }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain('id:');
      expect(result.reason).toContain('depth:');
    }
  });

  it('refuses bytes that are not JSON and says so', () => {
    const result = parseEnvelope('not json');
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('not JSON') });
  });

  it('refuses a message without a value', () => {
    expect(parseEnvelope(null)).toMatchObject({ ok: false, reason: expect.stringContaining('no value') });
  });
});

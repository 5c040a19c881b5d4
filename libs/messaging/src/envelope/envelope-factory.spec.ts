import { parseEnvelope } from '@flowline/contracts';
import { createEnvelope, recordKey } from './envelope-factory';

const deps = { newId: () => '4d1c6f4e-2b7a-4f7e-9a51-0c7b1a3e9d20', now: () => new Date('2026-11-25T08:00:00.000Z') };

describe('createEnvelope', () => {
  it('builds an envelope that the consumer edge accepts unchanged', () => {
    const envelope = createEnvelope(
      {
        type: 'pipeline.event',
        schemaVersion: 1,
        source: 'event-gateway',
        correlationId: 'corr-1',
        depth: 2,
        payload: { entity: 'account' },
      },
      deps,
    );
    expect(envelope).toEqual({
      id: '4d1c6f4e-2b7a-4f7e-9a51-0c7b1a3e9d20',
      type: 'pipeline.event',
      schemaVersion: 1,
      occurredAt: '2026-11-25T08:00:00.000Z',
      source: 'event-gateway',
      correlationId: 'corr-1',
      depth: 2,
      payload: { entity: 'account' },
    });
    expect(parseEnvelope(JSON.stringify(envelope))).toEqual({ ok: true, envelope });
  });

  it('keeps an id given upstream', () => {
    const id = '9b2f1d7c-3a4e-4c5b-8d6e-7f8091a2b3c4';
    expect(createEnvelope({ id, type: 't', schemaVersion: 1, source: 's', correlationId: 'c', depth: 0, payload: null }, deps).id).toBe(id);
  });

  it('refuses a negative depth or a schema version below 1', () => {
    expect(() => createEnvelope({ type: 't', schemaVersion: 1, source: 's', correlationId: 'c', depth: -1, payload: null }, deps)).toThrow(
      'envelope depth must be a whole number >= 0, got -1',
    );
    expect(() => createEnvelope({ type: 't', schemaVersion: 0, source: 's', correlationId: 'c', depth: 0, payload: null }, deps)).toThrow(
      'envelope schemaVersion must be a whole number >= 1, got 0',
    );
  });
});

describe('recordKey', () => {
  it('joins entity and record id so one record keeps one partition', () => {
    expect(recordKey('account', '42')).toBe('account:42');
  });
});

import { deadLetterMessage } from '@flowline/messaging';
import { readDeadLetter, reasonCodeOf } from './dead-letter-reason';

describe('dead letter reasons', () => {
  it.each([
    ['INVALID_TARGET: Update of contact has 1 invalid field(s)', 'INVALID_TARGET'],
    ['invalid envelope: id: Required', 'INVALID_ENVELOPE'],
    ['invalid domain event: payload.recordId: expected the record id, a UUID', 'INVALID_PAYLOAD'],
    ["type 'x.y' is not a pipeline event", 'UNEXPECTED_TYPE'],
    ['gave up after 5 attempts: boom', 'RETRIES_EXHAUSTED'],
    ['gave up after 5 attempts: RECORD_LOCKED: busy', 'RETRIES_EXHAUSTED_RECORD_LOCKED'],
    ['something broke', 'HANDLER_REFUSED'],
  ])('codes %s as %s', (reason, code) => expect(reasonCodeOf(reason)).toBe(code));

  it('reads what the consumers write, and says what is wrong with anything else', () => {
    const written = deadLetterMessage(
      { topic: 't', partition: 2, offset: '17', key: 'k', value: Buffer.from('{"a":1}'), headers: { h: 'v' } },
      { reason: 'r', consumerGroup: 'g', attempts: 3, failedAt: new Date('2026-01-01T00:00:00Z') },
    );
    const read = readDeadLetter(Buffer.from(written.value));
    expect(read).toEqual({
      ok: true,
      letter: expect.objectContaining({ originalTopic: 't', originalPartition: 2, originalOffset: '17', originalValue: '{"a":1}' }),
    });
    expect(readDeadLetter(Buffer.from('nope'))).toEqual({ ok: false, reason: 'the dead letter is not JSON' });
    expect(readDeadLetter(Buffer.from('{"reason":"r"}'))).toMatchObject({ ok: false, reason: expect.stringContaining('consumerGroup') });
    expect(readDeadLetter(null)).toMatchObject({ ok: false });
  });
});

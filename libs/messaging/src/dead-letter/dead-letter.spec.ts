import { deadLetterMessage, type DeadLetterValue } from './dead-letter';

const failure = {
  reason: 'invalid envelope: id: Invalid UUID',
  consumerGroup: 'g',
  attempts: 1,
  failedAt: new Date('2026-11-25T09:00:00Z'),
};

describe('deadLetterMessage', () => {
  it('keeps the original key, bytes, position and headers with the reason', () => {
    const message = deadLetterMessage(
      {
        topic: 'flowline.domain-events.v1',
        partition: 3,
        offset: '17',
        key: 'account:1',
        value: Buffer.from('{"bad":true}'),
        headers: { traceparent: Buffer.from('00-a-b-01') },
      },
      failure,
    );
    expect(message.key).toBe('account:1');
    expect(message.headers).toEqual({ traceparent: '00-a-b-01', 'x-flowline-dead-letter-reason': failure.reason });
    const body = JSON.parse(message.value) as DeadLetterValue;
    expect(body).toEqual({
      reason: failure.reason,
      consumerGroup: 'g',
      originalTopic: 'flowline.domain-events.v1',
      originalPartition: 3,
      originalOffset: '17',
      originalValue: '{"bad":true}',
      originalValueEncoding: 'utf8',
      originalHeaders: { traceparent: '00-a-b-01' },
      failedAt: '2026-11-25T09:00:00.000Z',
      attempts: 1,
    });
  });

  it('keeps bytes that are not UTF-8 as base64 so nothing is lost', () => {
    const raw = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const body = JSON.parse(
      deadLetterMessage({ topic: 't', partition: 0, offset: '0', key: null, value: raw }, failure).value,
    ) as DeadLetterValue;
    expect(body.originalValueEncoding).toBe('base64');
    expect(Buffer.from(body.originalValue!, 'base64')).toEqual(raw);
  });
});

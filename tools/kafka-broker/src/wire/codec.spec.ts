import { crc32c } from './crc32c';
import { MalformedRequest, Reader, Writer } from './codec';
import { parseRecordSet, withBaseOffset } from './record-batch';

describe('wire codec', () => {
  it('round-trips every primitive', () => {
    const bytes = new Writer()
      .int8(-3)
      .int16(-300)
      .int32(70000)
      .int64(-(2n ** 40n))
      .boolean(true)
      .string('héllo')
      .nullableString(null)
      .bytes(Buffer.from([1, 2]))
      .bytes(null)
      .array([1, 2, 3], (w, n) => w.int32(n))
      .toBuffer();
    const reader = new Reader(bytes);
    expect([
      reader.int8(),
      reader.int16(),
      reader.int32(),
      reader.int64(),
      reader.boolean(),
      reader.string(),
      reader.nullableString(),
    ]).toEqual([-3, -300, 70000, -(2n ** 40n), true, 'héllo', null]);
    expect(reader.bytes()).toEqual(Buffer.from([1, 2]));
    expect(reader.bytes()).toBeNull();
    expect(reader.array((r) => r.int32())).toEqual([1, 2, 3]);
    expect(reader.remaining).toBe(0);
  });

  it('refuses truncated input and absurd array lengths instead of reading past the end', () => {
    expect(() => new Reader(Buffer.from([0, 5, 65])).string()).toThrow(MalformedRequest);
    expect(() => new Reader(new Writer().int32(1_000_000).toBuffer()).array((r) => r.int8())).toThrow('array of 1000000 items cannot fit');
  });
});

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
  });
});

function batch(records: number, codec = 0): Buffer {
  const body = new Writer()
    .int16(codec)
    .int32(records - 1)
    .int64(1000n)
    .int64(2000n)
    .int64(-1n)
    .int16(-1)
    .int32(-1)
    .int32(records)
    .raw(Buffer.from('payload'))
    .toBuffer();
  const header = new Writer()
    .int64(0n)
    .int32(body.length + 9)
    .int32(0)
    .int8(2)
    .toBuffer();
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32c(body));
  return Buffer.concat([header, crc, body]);
}

describe('record batches', () => {
  it('reads headers of several batches and keeps the CRC valid when the base offset is rewritten', () => {
    const parsed = parseRecordSet(Buffer.concat([batch(3), batch(1, 1)]));
    expect(parsed.ok && parsed.batches.map((b) => [b.recordCount, b.lastOffsetDelta, b.maxTimestamp])).toEqual([
      [3, 2, 2000n],
      [1, 0, 2000n],
    ]);
    const moved = withBaseOffset(batch(2), 42n);
    expect(moved.readBigInt64BE(0)).toBe(42n);
    expect(parseRecordSet(moved).ok).toBe(true);
  });

  it('refuses a corrupted batch, an old message format and unsupported codecs with protocol error codes', () => {
    const corrupt = batch(1);
    corrupt[corrupt.length - 1] ^= 0xff;
    expect(parseRecordSet(corrupt)).toMatchObject({ ok: false, errorCode: 2, reason: 'record batch CRC mismatch' });
    const old = batch(1);
    old.writeInt8(1, 16);
    expect(parseRecordSet(old)).toMatchObject({ ok: false, errorCode: 43 });
    expect(parseRecordSet(batch(1, 2))).toMatchObject({
      ok: false,
      errorCode: 76,
      reason: 'compression codec 2 is not supported (none and gzip are)',
    });
  });
});

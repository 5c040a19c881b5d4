/**
 * Record batches (message format v2) as the broker handles them: it reads the batch header,
 * checks magic, CRC and compression codec, and stores the batch bytes as the producer sent
 * them, with only the base offset rewritten. The CRC does not cover the base offset, so the
 * stored batch stays valid; consumers decompress and decode records themselves.
 */
import { crc32c } from './crc32c';
import { ErrorCode } from './errors';

export const BATCH_HEADER_SIZE = 61;

export interface BatchInfo {
  /** The batch bytes (a view into the request buffer). */
  bytes: Buffer;
  lastOffsetDelta: number;
  recordCount: number;
  maxTimestamp: bigint;
  baseTimestamp: bigint;
  producerId: bigint;
  baseSequence: number;
}

export type BatchParse = { ok: true; batches: BatchInfo[] } | { ok: false; errorCode: number; reason: string };

/** Codecs this broker stores: none and gzip. */
const SUPPORTED_CODECS = new Set([0, 1]);

export function parseRecordSet(recordSet: Buffer): BatchParse {
  const batches: BatchInfo[] = [];
  let offset = 0;
  while (offset < recordSet.length) {
    if (recordSet.length - offset < BATCH_HEADER_SIZE) {
      // A partial trailing batch is legal in fetches, never in produce requests.
      return { ok: false, errorCode: ErrorCode.CorruptMessage, reason: 'truncated record batch' };
    }
    const batchLength = recordSet.readInt32BE(offset + 8);
    const size = 12 + batchLength;
    if (batchLength < BATCH_HEADER_SIZE - 12 || offset + size > recordSet.length) {
      return { ok: false, errorCode: ErrorCode.CorruptMessage, reason: `record batch length ${batchLength} does not fit` };
    }
    const magic = recordSet.readInt8(offset + 16);
    if (magic !== 2) {
      return {
        ok: false,
        errorCode: ErrorCode.UnsupportedForMessageFormat,
        reason: `message format v${magic}: this broker stores v2 record batches only`,
      };
    }
    const bytes = recordSet.subarray(offset, offset + size);
    const expectedCrc = bytes.readUInt32BE(17);
    if (crc32c(bytes.subarray(21)) !== expectedCrc)
      return { ok: false, errorCode: ErrorCode.CorruptMessage, reason: 'record batch CRC mismatch' };
    const attributes = bytes.readInt16BE(21);
    const codec = attributes & 0x07;
    if (!SUPPORTED_CODECS.has(codec)) {
      return {
        ok: false,
        errorCode: ErrorCode.UnsupportedCompressionType,
        reason: `compression codec ${codec} is not supported (none and gzip are)`,
      };
    }
    if (attributes & 0x10) return { ok: false, errorCode: ErrorCode.InvalidRequest, reason: 'transactional batches are not supported' };
    batches.push({
      bytes,
      lastOffsetDelta: bytes.readInt32BE(23),
      baseTimestamp: bytes.readBigInt64BE(27),
      maxTimestamp: bytes.readBigInt64BE(35),
      producerId: bytes.readBigInt64BE(43),
      baseSequence: bytes.readInt32BE(53),
      recordCount: bytes.readInt32BE(57),
    });
    offset += size;
  }
  return { ok: true, batches };
}

/** A copy of the batch with its base offset set. */
export function withBaseOffset(batch: Buffer, baseOffset: bigint): Buffer {
  const copy = Buffer.from(batch);
  copy.writeBigInt64BE(baseOffset, 0);
  return copy;
}

/** Produce v3, Fetch v4 (long poll), ListOffsets v1 and InitProducerId v0. */
import { Writer, type Reader } from '../wire/codec';
import { ErrorCode } from '../wire/errors';
import { parseRecordSet } from '../wire/record-batch';
import type { ApiHandler } from './context';

export const produce: ApiHandler = (request, _version, context) => {
  request.nullableString(); // transactional id: transactions are not supported
  const acks = request.int16();
  request.int32(); // timeout
  const topics = request.array((r: Reader) => ({
    topic: r.string(),
    partitions: r.array((p: Reader) => ({ partition: p.int32(), records: p.bytes() })),
  }));
  const results = topics.map(({ topic, partitions }) => ({
    topic,
    partitions: partitions.map(({ partition, records }) => {
      const fail = (errorCode: number, reason: string) => {
        context.log.warn('produce refused', { topic, partition, reason });
        return { partition, errorCode, baseOffset: -1n };
      };
      // As in Apache Kafka, only a metadata request creates a topic on first use; a produce never does.
      if (!context.topics.has(topic)) return fail(ErrorCode.UnknownTopicOrPartition, 'unknown topic');
      const log = context.topics.log(topic, partition);
      if (!log) return fail(ErrorCode.UnknownTopicOrPartition, 'unknown partition');
      const parsed = parseRecordSet(records ?? Buffer.alloc(0));
      if (!parsed.ok) return fail(parsed.errorCode, parsed.reason);
      if (parsed.batches.length === 0) return fail(ErrorCode.CorruptMessage, 'empty record set');
      const baseOffset = log.append(parsed.batches, acks === -1);
      context.notifyAppend(topic, partition);
      return { partition, errorCode: ErrorCode.None, baseOffset };
    }),
  }));
  if (acks === 0) return Buffer.alloc(0); // no response at all
  return new Writer()
    .array(results, (w, topic) => {
      w.string(topic.topic).array(topic.partitions, (pw, p) => pw.int32(p.partition).int16(p.errorCode).int64(p.baseOffset).int64(-1n));
    })
    .int32(0)
    .toBuffer();
};

export const fetch: ApiHandler = async (request, _version, context) => {
  request.int32(); // replica id
  const maxWaitMs = request.int32();
  const minBytes = request.int32();
  const maxBytes = request.int32();
  request.int8(); // isolation level
  const topics = request.array((r: Reader) => ({
    topic: r.string(),
    partitions: r.array((p: Reader) => ({ partition: p.int32(), fetchOffset: p.int64(), maxBytes: p.int32() })),
  }));
  const read = () => {
    let total = 0;
    const responses = topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map(({ partition, fetchOffset, maxBytes: partitionMax }) => {
        const log = context.topics.log(topic, partition);
        if (!log) return { partition, errorCode: ErrorCode.UnknownTopicOrPartition, highWatermark: -1n, records: Buffer.alloc(0) };
        if (fetchOffset > log.nextOffset || fetchOffset < log.logStartOffset) {
          return { partition, errorCode: ErrorCode.OffsetOutOfRange, highWatermark: log.nextOffset, records: Buffer.alloc(0) };
        }
        const records = total >= maxBytes ? Buffer.alloc(0) : log.read(fetchOffset, Math.min(partitionMax, maxBytes - total));
        total += records.length;
        return { partition, errorCode: ErrorCode.None, highWatermark: log.nextOffset, records };
      }),
    }));
    return { responses, total };
  };
  let result = read();
  if (result.total < Math.max(minBytes, 1) && maxWaitMs > 0) {
    await context.waitForData(
      topics.flatMap(({ topic, partitions }) => partitions.map(({ partition }) => ({ topic, partition }))),
      maxWaitMs,
    );
    result = read();
  }
  return new Writer()
    .int32(0)
    .array(result.responses, (w, topic) => {
      w.string(topic.topic).array(topic.partitions, (pw, p) =>
        pw.int32(p.partition).int16(p.errorCode).int64(p.highWatermark).int64(p.highWatermark).int32(0).bytes(p.records),
      );
    })
    .toBuffer();
};

export const listOffsets: ApiHandler = (request, _version, context) => {
  request.int32(); // replica id
  const topics = request.array((r: Reader) => ({
    topic: r.string(),
    partitions: r.array((p: Reader) => ({ partition: p.int32(), timestamp: p.int64() })),
  }));
  return new Writer()
    .array(topics, (w, { topic, partitions }) => {
      w.string(topic).array(partitions, (pw, { partition, timestamp }) => {
        const log = context.topics.log(topic, partition);
        if (!log) {
          pw.int32(partition).int16(ErrorCode.UnknownTopicOrPartition).int64(-1n).int64(-1n);
          return;
        }
        if (timestamp === -1n) pw.int32(partition).int16(0).int64(-1n).int64(log.nextOffset);
        else if (timestamp === -2n) pw.int32(partition).int16(0).int64(-1n).int64(log.logStartOffset);
        else {
          const found = log.offsetForTimestamp(timestamp);
          pw.int32(partition).int16(0).int64(found.timestamp).int64(found.offset);
        }
      });
    })
    .toBuffer();
};

export const initProducerId: ApiHandler = (request, _version, context) => {
  const transactionalId = request.nullableString();
  request.int32(); // transaction timeout
  if (transactionalId !== null) {
    return new Writer().int32(0).int16(ErrorCode.InvalidRequest).int64(-1n).int16(-1).toBuffer();
  }
  return new Writer().int32(0).int16(0).int64(context.nextProducerId()).int16(0).toBuffer();
};

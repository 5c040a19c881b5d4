/**
 * One partition's log: record batches in offset order, in memory for reads and, when the
 * broker has a data directory, appended to `<dir>/<topic>/<partition>.log` (the batches
 * back to back, exactly as served) and rebuilt from it at start. An append with acks=all is
 * fsynced before it is acknowledged.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { withBaseOffset, type BatchInfo } from '../wire/record-batch';

export interface StoredBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  bytes: Buffer;
}

export class PartitionLog {
  readonly batches: StoredBatch[] = [];
  private fd: number | undefined;
  nextOffset = 0n;

  constructor(private readonly file: string | undefined) {
    if (!file) return;
    mkdirSync(path.dirname(file), { recursive: true });
    if (existsSync(file)) this.load(readFileSync(file));
    this.fd = openSync(file, 'a');
  }

  /** Rebuilds the index from the file; a torn batch at the end (a crash mid-write) is dropped. */
  private load(data: Buffer): void {
    let offset = 0;
    while (offset + 12 <= data.length) {
      const size = 12 + data.readInt32BE(offset + 8);
      if (size < 61 || offset + size > data.length) break;
      const bytes = data.subarray(offset, offset + size);
      const baseOffset = bytes.readBigInt64BE(0);
      const lastOffset = baseOffset + BigInt(bytes.readInt32BE(23));
      this.batches.push({ baseOffset, lastOffset, maxTimestamp: bytes.readBigInt64BE(35), bytes });
      this.nextOffset = lastOffset + 1n;
      offset += size;
    }
  }

  get logStartOffset(): bigint {
    return this.batches[0]?.baseOffset ?? this.nextOffset;
  }

  /** Appends batches, assigning offsets; returns the base offset of the first. */
  append(batches: BatchInfo[], sync: boolean): bigint {
    const first = this.nextOffset;
    const written: Buffer[] = [];
    for (const batch of batches) {
      const baseOffset = this.nextOffset;
      const bytes = withBaseOffset(batch.bytes, baseOffset);
      const lastOffset = baseOffset + BigInt(batch.lastOffsetDelta);
      this.batches.push({ baseOffset, lastOffset, maxTimestamp: batch.maxTimestamp, bytes });
      this.nextOffset = lastOffset + 1n;
      written.push(bytes);
    }
    if (this.fd !== undefined) {
      const data = Buffer.concat(written);
      writeSync(this.fd, data);
      if (sync) fsyncSync(this.fd);
    }
    return first;
  }

  /** Index of the batch holding `offset` (or the first after it). */
  private indexFor(offset: bigint): number {
    let low = 0;
    let high = this.batches.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.batches[middle]!.lastOffset < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Batches from `offset` on, at least one batch, then up to `maxBytes`. */
  read(offset: bigint, maxBytes: number): Buffer {
    const chunks: Buffer[] = [];
    let size = 0;
    for (let i = this.indexFor(offset); i < this.batches.length; i++) {
      const bytes = this.batches[i]!.bytes;
      if (chunks.length > 0 && size + bytes.length > maxBytes) break;
      chunks.push(bytes);
      size += bytes.length;
    }
    return Buffer.concat(chunks, size);
  }

  /** The earliest offset whose batch has a timestamp at or after `timestamp`, or the log end. */
  offsetForTimestamp(timestamp: bigint): { offset: bigint; timestamp: bigint } {
    for (const batch of this.batches) {
      if (batch.maxTimestamp >= timestamp) return { offset: batch.baseOffset, timestamp: batch.maxTimestamp };
    }
    return { offset: this.nextOffset, timestamp: -1n };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Reading and writing the Kafka wire primitives of the non-flexible protocol versions this
 * broker speaks (big-endian integers, int16-length strings, int32-length bytes and arrays).
 * A read past the end throws MalformedRequest, which the server answers by closing the
 * connection: it never crashes the broker.
 */
export class MalformedRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedRequest';
  }
}

export class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  private need(bytes: number): void {
    if (bytes < 0 || this.offset + bytes > this.buffer.length) {
      throw new MalformedRequest(`request truncated: needed ${bytes} bytes at ${this.offset} of ${this.buffer.length}`);
    }
  }

  int8(): number {
    this.need(1);
    return this.buffer.readInt8(this.offset++);
  }
  int16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  int32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  int64(): bigint {
    this.need(8);
    const value = this.buffer.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }
  boolean(): boolean {
    return this.int8() !== 0;
  }
  string(): string {
    const length = this.int16();
    if (length < 0) throw new MalformedRequest('a non-nullable string was null');
    this.need(length);
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    this.need(length);
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  bytes(): Buffer | null {
    const length = this.int32();
    if (length < 0) return null;
    this.need(length);
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  array<T>(item: (reader: Reader) => T): T[] {
    const length = this.int32();
    if (length < 0) return [];
    if (length > this.remaining) throw new MalformedRequest(`array of ${length} items cannot fit in ${this.remaining} bytes`);
    const items: T[] = [];
    for (let i = 0; i < length; i++) items.push(item(this));
    return items;
  }
  nullableArray<T>(item: (reader: Reader) => T): T[] | null {
    const length = this.int32();
    if (length < 0) return null;
    if (length > this.remaining) throw new MalformedRequest(`array of ${length} items cannot fit in ${this.remaining} bytes`);
    const items: T[] = [];
    for (let i = 0; i < length; i++) items.push(item(this));
    return items;
  }
}

export class Writer {
  private chunks: Buffer[] = [];
  private size = 0;

  private push(buffer: Buffer): this {
    this.chunks.push(buffer);
    this.size += buffer.length;
    return this;
  }
  int8(value: number): this {
    const buffer = Buffer.alloc(1);
    buffer.writeInt8(value);
    return this.push(buffer);
  }
  int16(value: number): this {
    const buffer = Buffer.alloc(2);
    buffer.writeInt16BE(value);
    return this.push(buffer);
  }
  int32(value: number): this {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32BE(value);
    return this.push(buffer);
  }
  int64(value: bigint): this {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64BE(value);
    return this.push(buffer);
  }
  boolean(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }
  string(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    return this.int16(bytes.length).push(bytes);
  }
  nullableString(value: string | null): this {
    return value === null ? this.int16(-1) : this.string(value);
  }
  bytes(value: Buffer | null): this {
    if (value === null) return this.int32(-1);
    return this.int32(value.length).push(value);
  }
  array<T>(items: readonly T[], item: (writer: Writer, value: T) => void): this {
    this.int32(items.length);
    for (const value of items) item(this, value);
    return this;
  }
  raw(buffer: Buffer): this {
    return this.push(buffer);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

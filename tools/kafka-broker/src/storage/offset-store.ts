/**
 * Committed consumer group offsets. With a data directory every commit is appended to
 * `offsets.log` as a JSON line (and replayed at start), so a restart keeps them.
 */
import { appendFileSync, existsSync, fsyncSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface CommittedOffset {
  offset: bigint;
  metadata: string | null;
}

export class OffsetStore {
  private readonly offsets = new Map<string, CommittedOffset>();
  private readonly file: string | undefined;

  constructor(dataDir: string | undefined) {
    if (!dataDir) return;
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, 'offsets.log');
    if (!existsSync(this.file)) return;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as { g: string; t: string; p: number; o: string; m: string | null };
        this.offsets.set(this.key(entry.g, entry.t, entry.p), { offset: BigInt(entry.o), metadata: entry.m });
      } catch {
        // A torn last line from a crash: the commit it held was never acknowledged.
      }
    }
  }

  private key(group: string, topic: string, partition: number): string {
    return `${group}\u0000${topic}\u0000${partition}`;
  }

  commit(group: string, entries: Array<{ topic: string; partition: number; offset: bigint; metadata: string | null }>): void {
    for (const entry of entries)
      this.offsets.set(this.key(group, entry.topic, entry.partition), { offset: entry.offset, metadata: entry.metadata });
    if (!this.file || entries.length === 0) return;
    const lines = entries
      .map((entry) => JSON.stringify({ g: group, t: entry.topic, p: entry.partition, o: entry.offset.toString(), m: entry.metadata }))
      .join('\n');
    appendFileSync(this.file, `${lines}\n`);
    const fd = openSync(this.file, 'r');
    fsyncSync(fd);
    closeSync(fd);
  }

  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(this.key(group, topic, partition));
  }

  /** Topic-partitions the group has offsets for. */
  committedBy(group: string): Array<{ topic: string; partition: number }> {
    const prefix = `${group}\u0000`;
    return [...this.offsets.keys()]
      .filter((key) => key.startsWith(prefix))
      .map((key) => {
        const [, topic, partition] = key.split('\u0000');
        return { topic: topic!, partition: Number(partition) };
      });
  }

  groups(): string[] {
    return [...new Set([...this.offsets.keys()].map((key) => key.split('\u0000')[0]!))];
  }
}

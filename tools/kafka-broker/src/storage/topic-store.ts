/**
 * Topics and their partition logs. With a data directory, the topic list is kept in
 * `topics.json` (rewritten atomically) and each partition in its own log file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PartitionLog } from './partition-log';

export interface TopicConfig {
  partitions: number;
  configs: Record<string, string | null>;
}

export class TopicStore {
  private readonly topics = new Map<string, { config: TopicConfig; logs: PartitionLog[] }>();

  constructor(private readonly dataDir: string | undefined) {
    if (!dataDir) return;
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, 'topics.json');
    if (!existsSync(file)) return;
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, TopicConfig>;
    for (const [name, config] of Object.entries(saved)) this.open(name, config);
  }

  private logFile(topic: string, partition: number): string | undefined {
    return this.dataDir ? path.join(this.dataDir, 'topics', encodeURIComponent(topic), `${partition}.log`) : undefined;
  }

  private open(name: string, config: TopicConfig): void {
    const logs = Array.from({ length: config.partitions }, (_, partition) => new PartitionLog(this.logFile(name, partition)));
    this.topics.set(name, { config, logs });
  }

  private persist(): void {
    if (!this.dataDir) return;
    const file = path.join(this.dataDir, 'topics.json');
    const snapshot = Object.fromEntries([...this.topics].map(([name, topic]) => [name, topic.config]));
    writeFileSync(`${file}.tmp`, JSON.stringify(snapshot, null, 2));
    renameSync(`${file}.tmp`, file);
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  names(): string[] {
    return [...this.topics.keys()].sort();
  }

  partitions(name: string): number {
    return this.topics.get(name)?.config.partitions ?? 0;
  }

  create(name: string, config: TopicConfig): void {
    this.open(name, config);
    this.persist();
  }

  delete(name: string): void {
    const topic = this.topics.get(name);
    if (!topic) return;
    for (const log of topic.logs) log.close();
    this.topics.delete(name);
    this.persist();
    if (this.dataDir) rmSync(path.join(this.dataDir, 'topics', encodeURIComponent(name)), { recursive: true, force: true });
  }

  log(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.logs[partition];
  }

  close(): void {
    for (const topic of this.topics.values()) for (const log of topic.logs) log.close();
  }
}

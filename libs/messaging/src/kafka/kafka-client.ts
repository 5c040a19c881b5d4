/**
 * The one place that builds kafkajs clients: brokers from KAFKA_BROKERS, our logger instead
 * of kafkajs's console output, the default partitioner kept stable across upgrades.
 */
import { Kafka, logLevel as KafkaLogLevel, Partitioners, type Admin, type LogEntry } from 'kafkajs';
import { TopicSpecs, type TopicSpec } from '@flowline/contracts';

export type { Kafka } from 'kafkajs';

export interface KafkaLog {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  log?: KafkaLog;
  connectionTimeoutMs?: number;
}

export function parseBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  for (const broker of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(broker)) throw new Error(`KAFKA_BROKERS expected host:port[,host:port], got '${broker}'`);
  }
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS expected host:port[,host:port], got nothing');
  return brokers;
}

export function createKafka(options: KafkaClientOptions): Kafka {
  const log = options.log;
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (!log) return;
      const fields = { kafka: entry.namespace, ...entry.log };
      const { message } = entry.log;
      if (entry.level <= KafkaLogLevel.ERROR) log.error(fields, message);
      else if (entry.level === KafkaLogLevel.WARN) log.warn(fields, message);
      else if (entry.level === KafkaLogLevel.INFO) log.info(fields, message);
      else log.debug(fields, message);
    },
  });
}

export const defaultPartitioner = Partitioners.DefaultPartitioner;

/** Creates the topics that do not exist yet, with the partitions and settings of contracts. */
export async function provisionTopics(admin: Admin, specs: readonly TopicSpec[] = TopicSpecs): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.name));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((spec) => ({
      topic: spec.name,
      numPartitions: spec.partitions,
      configEntries: [
        { name: 'cleanup.policy', value: spec.cleanupPolicy },
        { name: 'retention.ms', value: String(spec.retentionMs) },
      ],
    })),
  });
  return missing.map((spec) => spec.name);
}

/** Readiness: the cluster answers a metadata request. */
export async function pingKafka(admin: Admin): Promise<void> {
  await admin.describeCluster();
}

/** Starts and stops the development broker (the public API of tools/kafka-broker). */
import { EventEmitter } from 'node:events';
import { GroupCoordinator } from './groups/group-coordinator';
import { OffsetStore } from './storage/offset-store';
import { TopicStore } from './storage/topic-store';
import { createBrokerServer } from './server';
import type { BrokerContext, BrokerLog } from './apis/context';
import { TOPIC_NAME } from './apis/context';

export interface BrokerOptions {
  /** 0 = a free port. */
  port?: number;
  host?: string;
  advertisedHost?: string;
  /** Absent: in memory only. */
  dataDir?: string;
  defaultPartitions?: number;
  autoCreateTopics?: boolean;
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export interface RunningBroker {
  readonly port: number;
  readonly host: string;
  /** host:port, for KAFKA_BROKERS. */
  readonly brokers: string;
  close(): Promise<void>;
}

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 } as const;

function jsonLog(level: keyof typeof LEVELS): BrokerLog {
  const write = (at: keyof typeof LEVELS, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[at] < LEVELS[level]) return;
    process.stderr.write(
      `${JSON.stringify({ level: at, time: new Date().toISOString(), service: 'kafka-broker', msg: message, ...fields })}\n`,
    );
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
  };
}

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const host = options.host ?? '127.0.0.1';
  const log = jsonLog(options.logLevel ?? 'warn');
  const topics = new TopicStore(options.dataDir);
  const offsets = new OffsetStore(options.dataDir);
  const groups = new GroupCoordinator((message, fields) => log.info(message, fields));
  const appended = new EventEmitter();
  appended.setMaxListeners(0);
  let producerId = BigInt(Date.now());
  const defaultPartitions = options.defaultPartitions ?? 3;
  const context: BrokerContext = {
    nodeId: 0,
    advertisedHost: options.advertisedHost ?? host,
    port: 0,
    defaultPartitions,
    autoCreateTopics: options.autoCreateTopics ?? true,
    topics,
    offsets,
    groups,
    log,
    waitForData: (partitions, ms) =>
      new Promise<void>((resolve) => {
        const keys = new Set(partitions.map((p) => `${p.topic}:${p.partition}`));
        const onAppend = (key: string) => {
          if (keys.has(key)) done();
        };
        const timer = setTimeout(() => done(), ms);
        const done = () => {
          clearTimeout(timer);
          appended.off('append', onAppend);
          resolve();
        };
        appended.on('append', onAppend);
      }),
    notifyAppend: (topic, partition) => appended.emit('append', `${topic}:${partition}`),
    nextProducerId: () => (producerId += 1n),
    ensureTopic: (name) => {
      if (topics.has(name)) return true;
      if (!context.autoCreateTopics || !TOPIC_NAME.test(name)) return false;
      topics.create(name, { partitions: defaultPartitions, configs: {} });
      log.info('topic auto-created', { topic: name, partitions: defaultPartitions });
      return true;
    },
  };
  const { server, connections } = createBrokerServer(context);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  context.port = port;
  log.info('listening', { host, port, dataDir: options.dataDir ?? '(in memory)' });
  return {
    port,
    host,
    brokers: `${context.advertisedHost}:${port}`,
    close: async () => {
      for (const connection of connections) connection.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      groups.close();
      topics.close();
    },
  };
}

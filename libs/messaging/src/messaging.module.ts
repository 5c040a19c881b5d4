/**
 * Nest wiring of Kafka for a service: the kafkajs client, the envelope producer, topics
 * provisioned at start-up, the outbox relay (for services that publish through an outbox),
 * and the `kafka` readiness check. Everything stops in order on shutdown.
 */
import {
  Inject,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Admin } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { METRICS_REGISTRY, ReadinessRegistry } from '@flowline/service-kit';
import { createKafka, parseBrokers, pingKafka, provisionTopics, type Kafka, type KafkaLog } from './kafka/kafka-client';
import { TopicNames } from './kafka/topic-names';
import { runningConsumers } from './consumer/consumer-runner';
import { OutboxRelay } from './outbox/outbox-relay';
import { EnvelopeProducer } from './producer/envelope-producer';
import { TopicSpecs } from '@flowline/contracts';

export interface MessagingModuleOptions {
  serviceName: string;
  brokers: string;
  topicPrefix: string;
  /** Publish the service's outbox (needs its database). */
  outbox?: { schema: string; databaseUrl: string };
}

export const KAFKA = Symbol('KAFKA');
const OPTIONS = Symbol('MESSAGING_OPTIONS');

export function kafkaLog(logger: Logger): KafkaLog {
  return {
    debug: (fields, message) => logger.debug({ ...fields, msg: message }),
    info: (fields, message) => logger.log({ ...fields, msg: message }),
    warn: (fields, message) => logger.warn({ ...fields, msg: message }),
    error: (fields, message) => logger.error({ ...fields, msg: message }),
  };
}

@Injectable()
export class MessagingLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Messaging');
  private admin: Admin | undefined;
  private relay: OutboxRelay | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly producer: EnvelopeProducer,
    private readonly names: TopicNames,
    private readonly readiness: ReadinessRegistry,
    @Inject(OPTIONS) private readonly options: MessagingModuleOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(METRICS_REGISTRY) private readonly metrics: Registry,
  ) {}

  /**
   * Outbox lag (age of the oldest unpublished row) and consumer lag (messages behind the end of
   * each partition, per group and topic of the consumers running in this process), read when
   * Prometheus scrapes. Every replica of a group reports the whole group's lag: read it with max.
   */
  private registerMetrics(admin: Admin): void {
    const relay = () => this.relay;
    new Gauge({
      name: 'flowline_outbox_lag_seconds',
      help: 'Age of the oldest outbox row not yet published to Kafka (0 when all are out)',
      registers: [this.metrics],
      async collect() {
        const current = relay();
        if (current) this.set((await current.lag()).oldestAgeMs / 1000);
      },
    });
    const names = this.names;
    new Gauge({
      name: 'flowline_consumer_lag',
      help: 'Messages a consumer group has not yet committed, per topic (the whole group, as every member sees it)',
      labelNames: ['group', 'topic'],
      registers: [this.metrics],
      async collect() {
        this.reset();
        const read = async () => {
          for (const consumer of runningConsumers) {
            const { groupId, topics } = consumer;
            const committed = await admin.fetchOffsets({ groupId, topics });
            for (const topic of topics) {
              const ends = await admin.fetchTopicOffsets(topic);
              const done = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
              let lag = 0;
              for (const end of ends) {
                const offset = Number(done.find((p) => p.partition === end.partition)?.offset ?? -1);
                lag += Math.max(0, Number(end.high) - (offset >= 0 ? offset : Number(end.low)));
              }
              this.set({ group: names.logical(groupId), topic: names.logical(topic) }, lag);
            }
          }
        };
        // A slow broker must not hang the scrape.
        await Promise.race([read().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      },
    });
    // What this replica's own members hold and whether they consume (read with sum / max across replicas).
    new Gauge({
      name: 'flowline_consumer_assigned_partitions',
      help: 'Partitions this replica holds in a consumer group, per group (0 while joining or stalled)',
      labelNames: ['group'],
      registers: [this.metrics],
      collect() {
        this.reset();
        for (const consumer of runningConsumers) this.set({ group: names.logical(consumer.groupId) }, consumer.healthReport().partitions);
      },
    });
    new Gauge({
      name: 'flowline_consumer_stalled',
      help: 'Whether this replica\'s member of a consumer group has stalled (1) or consumes (0): see /health/ready for why',
      labelNames: ['group'],
      registers: [this.metrics],
      collect() {
        this.reset();
        for (const consumer of runningConsumers)
          this.set({ group: names.logical(consumer.groupId) }, consumer.healthReport().state === 'stalled' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'flowline_consumer_dependency_waits',
      help: 'Tries of a message this replica put off because a dependency was unavailable (the message is kept, never dead-lettered for it), per group, since it started',
      labelNames: ['group'],
      registers: [this.metrics],
      collect() {
        this.reset();
        for (const consumer of runningConsumers) this.set({ group: names.logical(consumer.groupId) }, consumer.dependencyWaits);
      },
    });
    new Gauge({
      name: 'flowline_consumer_stall_restarts',
      help: 'Times this replica started a stalled consumer again, per group, since it started',
      labelNames: ['group'],
      registers: [this.metrics],
      collect() {
        this.reset();
        for (const consumer of runningConsumers) this.set({ group: names.logical(consumer.groupId) }, consumer.healthReport().restarts);
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    const created = await provisionTopics(
      this.admin,
      TopicSpecs.map((spec) => ({ ...spec, name: this.names.topic(spec.name) as typeof spec.name })),
    );
    if (created.length > 0) this.logger.log(`created topics ${created.join(', ')}`);
    await this.producer.connect();
    const admin = this.admin;
    this.readiness.register('kafka', () => pingKafka(admin));
    // Connected is not consuming: a member that stalled (no fetch while holding partitions, or
    // stuck joining) makes the service unready until it consumes again.
    this.readiness.register('kafka-consumers', async () => {
      const stalled = [...runningConsumers]
        .map((consumer) => ({ group: this.names.logical(consumer.groupId), report: consumer.healthReport() }))
        .filter(({ report }) => report.state === 'stalled');
      if (stalled.length > 0)
        throw new Error(stalled.map(({ group, report }) => `consumer group ${group}: this member ${report.problem}; it is being started again`).join('; '));
    });
    this.registerMetrics(admin);
    if (this.options.outbox) {
      this.relay = new OutboxRelay({
        dataSource: this.dataSource,
        schema: this.options.outbox.schema,
        databaseUrl: this.options.outbox.databaseUrl,
        producer: this.producer,
        topicNames: this.names,
        log: kafkaLog(this.logger),
      });
      this.relay.start();
    }
  }

  /** The relay stops while the database is still open; the producer last, after every consumer. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }
}

@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: OPTIONS, useValue: options },
        { provide: TopicNames, useValue: new TopicNames(options.topicPrefix) },
        {
          provide: KAFKA,
          useFactory: () =>
            createKafka({ brokers: parseBrokers(options.brokers), clientId: options.serviceName, log: kafkaLog(new Logger('kafkajs')) }),
        },
        { provide: EnvelopeProducer, useFactory: (kafka: Kafka) => new EnvelopeProducer(kafka), inject: [KAFKA] },
        MessagingLifecycle,
      ],
      exports: [KAFKA, EnvelopeProducer, TopicNames],
    };
  }
}

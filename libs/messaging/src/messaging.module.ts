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
import type { DataSource } from 'typeorm';
import { ReadinessRegistry } from '@flowline/service-kit';
import { createKafka, parseBrokers, pingKafka, provisionTopics, type Kafka, type KafkaLog } from './kafka/kafka-client';
import { TopicNames } from './kafka/topic-names';
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
  ) {}

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

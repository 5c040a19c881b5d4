/**
 * Keeps every dead letter: a consumer group on flowline.dead-letter.v1, run by the shared
 * ConsumerRunner (offsets committed only after the letter is stored; a database outage is
 * waited out, never a reason to lose a letter). Each letter is stored once, by its own topic,
 * partition and offset; one that is not a readable dead letter is kept as it came, with the
 * reason code UNREADABLE_DEAD_LETTER, so nothing on the topic is ever dropped.
 */
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ConsumerGroups, Topics } from '@flowline/contracts';
import {
  ConsumerRunner,
  EnvelopeProducer,
  KAFKA,
  kafkaLog,
  TopicNames,
  type Kafka,
  type MessageContext,
  type RawMessage,
} from '@flowline/messaging';
import { SERVICE } from '../config';
import { readDeadLetter, reasonCodeOf } from './dead-letter-reason';
import { DeadLetterMetrics } from './dead-letters.metrics';
import { DeadLettersRepository, type NewDeadLetter } from './dead-letters.repository';

@Injectable()
export class DeadLettersConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeadLetters');
  private runner: ConsumerRunner | undefined;

  constructor(
    private readonly repository: DeadLettersRepository,
    private readonly metrics: DeadLetterMetrics,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly names: TopicNames,
    private readonly producer: EnvelopeProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const topic = this.names.topic(Topics.deadLetter);
    this.runner = new ConsumerRunner({
      kafka: this.kafka,
      groupId: this.names.group(ConsumerGroups.executorDeadLetters),
      awaitJoin: false,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      // Every stored letter's offset is committed already: leaving quickly loses nothing, and the
      // executor's shutdown grace is shared with the dispatcher and the workers (modules stop one
      // after another). Leaving waits on a rebalance while a dead member holds the group up: after
      // half a second another replica takes the partitions when the member's session times out.
      stopTimeoutMs: 500,
      topics: [topic],
      // Storing fails only while the database is down (waited out); what still fails after every
      // attempt goes back on the topic as a dead letter of the dead letters, and is stored then.
      deadLetterTopic: topic,
      deadLetters: this.producer,
      log: kafkaLog(this.logger),
      rawHandler: (message, context) => this.keep(message, context),
    });
    await this.runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
  }

  /** Stores one dead letter (nothing when it is stored already). */
  async keep(message: RawMessage, context: MessageContext): Promise<void> {
    const letter = this.letterOf(message, context);
    const id = await this.repository.store(letter, SERVICE.name);
    if (!id) {
      this.logger.debug({ topic: context.topic, partition: context.partition, offset: context.offset, msg: 'dead letter stored already' });
      return;
    }
    this.metrics.stored.inc({ topic: letter.originalTopic, reason_code: letter.reasonCode });
    this.logger.warn(
      {
        deadLetterId: id,
        originalTopic: letter.originalTopic,
        originalPartition: letter.originalPartition,
        originalOffset: letter.originalOffset,
        key: letter.key,
        consumerGroup: letter.consumerGroup,
        reasonCode: letter.reasonCode,
      },
      `dead letter ${id} kept: ${letter.consumerGroup || 'a consumer'} could not process ${letter.originalTopic} ${letter.originalPartition}/${letter.originalOffset}: ${letter.reason}`,
    );
  }

  private letterOf(message: RawMessage, context: MessageContext): NewDeadLetter {
    const where = { deadLetterTopic: context.topic, deadLetterPartition: context.partition, deadLetterOffset: context.offset };
    const read = readDeadLetter(message.value);
    if (!read.ok) {
      const text = message.value?.toString('utf8') ?? null;
      const utf8 = text !== null && Buffer.from(text, 'utf8').equals(message.value!);
      return {
        ...where,
        originalTopic: this.names.logical(context.topic),
        originalPartition: context.partition,
        originalOffset: context.offset,
        key: message.key || null,
        headers: message.headers,
        value: utf8 ? text : (message.value?.toString('base64') ?? null),
        valueEncoding: utf8 ? 'utf8' : 'base64',
        reason: read.reason,
        reasonCode: 'UNREADABLE_DEAD_LETTER',
        consumerGroup: '',
        attempts: 0,
        failedAt: new Date(),
      };
    }
    const { letter } = read;
    return {
      ...where,
      originalTopic: this.names.logical(letter.originalTopic),
      originalPartition: letter.originalPartition,
      originalOffset: letter.originalOffset,
      // The dead letter is keyed by the original key ('' when it had none).
      key: message.key || null,
      headers: letter.originalHeaders,
      value: letter.originalValue,
      valueEncoding: letter.originalValueEncoding,
      reason: letter.reason,
      reasonCode: reasonCodeOf(letter.reason),
      consumerGroup: this.names.logical(letter.consumerGroup),
      attempts: letter.attempts,
      failedAt: new Date(letter.failedAt),
    };
  }
}

/**
 * Domain-event ingress: consumes `flowline.domain-events.v1` and runs each valid event through
 * the pipeline as a message from its source service (so plug-ins and workflows see it, and a
 * pipeline event follows). Invalid events, and events the pipeline refuses as invalid, go to
 * the dead-letter topic with the reason; transient failures are retried. The idempotency key
 * is the event id, so a redelivered event is applied once.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { ConsumerGroups, DOMAIN_EVENT_TYPE, DomainEventSchema, Topics } from '@flowline/contracts';
import { ConsumerRunner, EnvelopeProducer, KAFKA, kafkaLog, PermanentMessageError, TopicNames, type Kafka } from '@flowline/messaging';
import { FlowlineError } from '@flowline/rpc';
import { PipelineService } from '../pipeline/pipeline.service';

/** Refusals that retrying cannot fix: the event is dead-lettered with the pipeline's reason. */
const PERMANENT = new Set([
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'ABORTED',
  'RESOURCE_EXHAUSTED',
  'PERMISSION_DENIED',
]);

@Injectable()
export class DomainEventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DomainEvents');
  private runner: ConsumerRunner | undefined;

  constructor(
    private readonly pipeline: PipelineService,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly names: TopicNames,
    private readonly producer: EnvelopeProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.runner = new ConsumerRunner({
      kafka: this.kafka,
      groupId: this.names.group(ConsumerGroups.gatewayDomainEvents),
      // Replicas start and stop often: start-up does not wait for the group to rebalance, and a
      // dead member is noticed within 10 s.
      awaitJoin: false,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      topics: [this.names.topic(Topics.domainEvents)],
      deadLetterTopic: this.names.topic(Topics.deadLetter),
      deadLetters: this.producer,
      log: kafkaLog(this.logger),
      handler: async (envelope, context) => {
        if (envelope.type !== DOMAIN_EVENT_TYPE)
          throw new PermanentMessageError(`type '${envelope.type}' is not a domain event: expected '${DOMAIN_EVENT_TYPE}'`);
        const parsed = DomainEventSchema.safeParse(envelope.payload);
        if (!parsed.success) {
          throw new PermanentMessageError(
            `invalid domain event: ${parsed.error.issues.map((issue) => `payload.${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
          );
        }
        const event = parsed.data;
        try {
          await this.pipeline.execute({
            message: event.message,
            entity: event.entity,
            id: event.recordId,
            target: event.target,
            parameters: event.parameters,
            expectedVersion: 0,
            idempotencyKey: `domain-event:${envelope.id}`,
            depth: envelope.depth + 1,
            correlationId: envelope.correlationId,
            columns: [],
            initiatingUserId: event.initiatingUserId,
            origin: `domain-event:${envelope.source}`,
          });
          this.logger.debug(
            { eventId: envelope.id, offset: context.offset, correlationId: envelope.correlationId },
            'domain event applied',
          );
        } catch (error) {
          if (error instanceof FlowlineError && PERMANENT.has(error.kind))
            throw new PermanentMessageError(`${error.code}: ${error.fullMessage}`);
          throw error;
        }
      },
    });
    await this.runner.start();
  }

  /** Finishes the message in flight while the database and producer are still there. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
  }
}

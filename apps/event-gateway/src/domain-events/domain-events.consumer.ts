/**
 * Domain-event ingress: consumes `flowline.domain-events.v1` and runs each valid event through
 * the pipeline as a message from its source service (so plug-ins and workflows see it, and a
 * pipeline event follows). A partition's fetched batch is applied in few transactions (each
 * event in its own savepoint, in order) with one offset commit after them. Invalid events, and
 * events the pipeline refuses as invalid, go to the dead-letter topic alone with the reason;
 * so does an event holding text no record can store (a NUL character, a lone surrogate),
 * refused at once with the path of the text, never retried; transient failures are retried. The idempotency key is the event id, so a redelivered event
 * is applied once.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { ConsumerGroups, DOMAIN_EVENT_TYPE, DomainEventSchema, Topics, type Envelope } from '@flowline/contracts';
import {
  ConsumerRunner,
  EnvelopeProducer,
  KAFKA,
  kafkaLog,
  PermanentMessageError,
  TopicNames,
  type Kafka,
  type MessageContext,
} from '@flowline/messaging';
import { FlowlineError } from '@flowline/rpc';
import { badTextViolations, isStorageRefusal, storageRefusalOf } from '@flowline/service-kit';
import { PipelineService, type ExecuteInput } from '../pipeline/pipeline.service';

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

/**
 * Events applied in one transaction at most: their records stay locked until it commits, and
 * the consumer heartbeats between transactions (a transaction must end well within the 10 s
 * session timeout, even on a loaded machine).
 */
const MAX_EVENTS_PER_TRANSACTION = 50;

/** The Execute input of a valid domain event, or why it is not one. */
function toExecuteInput(envelope: Envelope): { input: ExecuteInput } | { reason: string } {
  if (envelope.type !== DOMAIN_EVENT_TYPE)
    return { reason: `type '${envelope.type}' is not a domain event: expected '${DOMAIN_EVENT_TYPE}'` };
  const parsed = DomainEventSchema.safeParse(envelope.payload);
  if (!parsed.success) {
    return {
      reason: `invalid domain event: ${parsed.error.issues.map((issue) => `payload.${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    };
  }
  const event = parsed.data;
  // Text no record can store is refused here, for good, at its path: retrying cannot fix it.
  // The envelope's own texts too: its source and correlation id travel into the pipeline event.
  const badText = badTextViolations(envelope, '');
  if (badText.length > 0)
    return { reason: `invalid domain event: ${badText.map((violation) => `${violation.field}: ${violation.description}`).join('; ')}` };
  return {
    input: {
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
    },
  };
}

/** Why the pipeline refused an event, in words a sender can act on. */
function refusalReason(error: unknown): string {
  if (error instanceof FlowlineError) return `${error.code}: ${error.fullMessage}`;
  // A value PostgreSQL would not store (the checks above should have caught it): never retried.
  const storage = storageRefusalOf(error);
  return storage ? `${storage.code}: ${storage.fullMessage}` : String(error);
}

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
      batchHandler: (items, heartbeat) => this.applyBatch(items, heartbeat),
    });
    await this.runner.start();
  }

  /**
   * A partition's fetched batch, in offset order, applied in transactions of at most
   * MAX_EVENTS_PER_TRANSACTION events (the runner commits the offsets once after it). Each event
   * goes through the whole pipeline in its own savepoint, so one the pipeline refuses is rolled
   * back alone and the others still apply. When any were refused, the batch fails with a
   * permanent error after the good ones committed: the runner then handles its messages one at
   * a time, where the applied ones answer from their idempotency keys and each refused one goes
   * to the dead letters alone with its reason.
   */
  private async applyBatch(items: Array<{ envelope: Envelope; context: MessageContext }>, heartbeat: () => Promise<void>): Promise<void> {
    const refused: Array<{ offset: string; reason: string }> = [];
    const valid: Array<{ offset: string; input: ExecuteInput }> = [];
    for (const { envelope, context } of items) {
      const checked = toExecuteInput(envelope);
      if ('reason' in checked) refused.push({ offset: context.offset, reason: checked.reason });
      else valid.push({ offset: context.offset, input: checked.input });
    }
    for (let from = 0; from < valid.length; from += MAX_EVENTS_PER_TRANSACTION) {
      const chunk = valid.slice(from, from + MAX_EVENTS_PER_TRANSACTION);
      const began = Date.now();
      const outcomes = await this.pipeline.executeBatch(
        chunk.map((item) => item.input),
        (error) => (error instanceof FlowlineError && PERMANENT.has(error.kind)) || isStorageRefusal(error),
      );
      outcomes.forEach((outcome, i) => {
        if (outcome.ok) return;
        refused.push({ offset: chunk[i]!.offset, reason: refusalReason(outcome.error) });
      });
      const first = items[0]!.context;
      this.logger.debug(
        {
          topic: first.topic,
          partition: first.partition,
          events: chunk.length,
          refused: outcomes.filter((o) => !o.ok).length,
          ms: Date.now() - began,
        },
        `applied ${outcomes.filter((o) => o.ok).length} domain event(s) in one transaction`,
      );
      // A fetched batch may hold thousands of events: the group must keep hearing from this member.
      await heartbeat();
    }
    if (refused.length === 0) return;
    refused.sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
    if (items.length === 1) throw new PermanentMessageError(refused[0]!.reason);
    throw new PermanentMessageError(
      `${refused.length} of ${items.length} domain events refused (offsets ${refused.map((r) => r.offset).join(', ')}; the others are applied): ${refused[0]!.reason}`,
    );
  }

  /** Finishes the message in flight while the database and producer are still there. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
  }
}

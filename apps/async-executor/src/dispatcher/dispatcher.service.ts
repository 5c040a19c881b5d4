/**
 * The dispatcher: a consumer group on flowline.pipeline-events.v1. For each event it resolves
 * the activated workflows and asynchronous steps it triggers (from the metadata cache),
 * snapshots the definition version and the event, and inserts one async operation per match in
 * execution order, idempotently (event id + process). It also makes Ready the suspended
 * operations that wait on the event's record. A batch of events is one statement
 * (OperationRepository.dispatch); the offset is committed after it (ConsumerRunner commits after
 * the handler).
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import {
  AsyncOperationState as State,
  AsyncOperationStatus as Status,
  AsyncOperationType,
  ConsumerGroups,
  PIPELINE_EVENT_TYPE,
  PipelineEventSchema,
  ProcessMode,
  Topics,
  type PipelineEvent,
} from '@flowline/contracts';
import { MetadataCache } from '@flowline/metadata-cache';
import {
  ConsumerRunner,
  EnvelopeProducer,
  extractTraceContext,
  injectTraceHeaders,
  KAFKA,
  kafkaLog,
  PermanentMessageError,
  TopicNames,
  type Kafka,
} from '@flowline/messaging';
import { DependencyUnavailable } from '@flowline/service-kit';
import { dependencyTokenOf } from '../operations/dependency-token';
import { OperationRepository, type NewOperation } from '../operations/operation-repository';

/** What every operation of one event shares. */
type OperationBase = Omit<
  NewOperation,
  'id' | 'operationType' | 'name' | 'processKey' | 'definitionId' | 'definitionVersion' | 'stepRegistrationId' | 'input'
>;
import { DefinitionVersions } from '../definitions/definition-versions';
import { timeOrderedId } from '@flowline/persistence';

const tracer = trace.getTracer('flowline.async-executor');

export interface DispatchResult {
  created: string[];
  woken: string[];
}

@Injectable()
export class DispatcherService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Dispatcher');
  private runner: ConsumerRunner | undefined;

  constructor(
    private readonly metadata: MetadataCache,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly names: TopicNames,
    private readonly producer: EnvelopeProducer,
    private readonly versions: DefinitionVersions,
    private readonly repository: OperationRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.runner = new ConsumerRunner({
      kafka: this.kafka,
      groupId: this.names.group(ConsumerGroups.executorDispatcher),
      // Replicas start and stop often: start-up does not wait for the group to rebalance, and a
      // dead member is noticed within 10 s.
      awaitJoin: false,
      // One record's events share a partition, so its operations are still created in event order.
      partitionsConsumedConcurrently: 6,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      topics: [this.names.topic(Topics.pipelineEvents)],
      deadLetterTopic: this.names.topic(Topics.deadLetter),
      deadLetters: this.producer,
      log: kafkaLog(this.logger),
      // A partition's fetched events in one transaction: one set-based insert of their operations,
      // the wake-ups of the records they touch, one notify, then one offset commit. A batch with
      // a bad event fails as a whole; the runner then takes its events one at a time (the good
      // ones are idempotent), and the bad one goes to the dead letters alone.
      batchHandler: async (items) => {
        const events = items.map(({ envelope, context }) => {
          if (envelope.type !== PIPELINE_EVENT_TYPE) throw new PermanentMessageError(`type '${envelope.type}' is not a pipeline event`);
          const parsed = PipelineEventSchema.safeParse(envelope.payload);
          if (!parsed.success)
            throw new PermanentMessageError(
              `invalid pipeline event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
            );
          return { event: parsed.data, context };
        });
        // Kept and tried again (never dead-lettered) until the registry has answered once.
        if (!this.metadata.ready)
          throw new DependencyUnavailable('registry', 'METADATA_NOT_LOADED', 'the metadata cache is not loaded yet');
        // Each event's trace goes on: a consumer span per event, child of the span that sent it;
        // its operations carry that context, so their runs join the same trace.
        const spans = events.map(({ event, context }) =>
          tracer.startSpan(
            `dispatch ${context.topic}`,
            {
              kind: SpanKind.CONSUMER,
              attributes: {
                'messaging.system': 'kafka',
                'messaging.operation.type': 'process',
                'messaging.destination.name': context.topic,
                'messaging.destination.partition.id': String(context.partition),
                'messaging.kafka.offset': Number(context.offset),
                'messaging.consumer.group.name': this.names.group(ConsumerGroups.executorDispatcher),
                'messaging.message.id': event.eventId,
                'flowline.correlation_id': event.correlationId,
              },
            },
            extractTraceContext(context.headers),
          ),
        );
        try {
          await this.dispatchMany(
            events.map((item, i) => ({
              ...item,
              trace: injectTraceHeaders({}, trace.setSpan(extractTraceContext(item.context.headers), spans[i]!)) as Record<string, string>,
            })),
          );
        } catch (error) {
          for (const span of spans) span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          throw error;
        } finally {
          for (const span of spans) span.end();
        }
      },
    });
    await this.runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
  }

  /**
   * The one operation of an inbound webhook call the gateway accepted: the workflow version it
   * named, with the id it already answered the caller, the call's inputs, and the record the
   * trigger's `record` input names (read by the gateway) or none. Idempotent as any other
   * (event id + process), so a redelivered event creates it once.
   */
  private async webhookOperation(
    event: PipelineEvent,
    webhook: NonNullable<PipelineEvent['webhook']>,
    base: OperationBase,
    input: Record<string, unknown>,
  ): Promise<NewOperation> {
    const compiled = await this.versions.get(webhook.definitionId, webhook.version);
    return {
      ...base,
      id: webhook.operationId,
      operationType: AsyncOperationType.Workflow,
      name: webhook.uniqueName,
      processKey: webhook.definitionId,
      definitionId: webhook.definitionId,
      definitionVersion: webhook.version,
      stepRegistrationId: null,
      dependencyToken: webhook.hasRecord ? dependencyTokenOf(compiled, event.entity, event.recordId) : null,
      input: { ...input, inputs: webhook.inputs, webhook: { path: webhook.path }, contentHash: compiled.contentHash },
    };
  }

  /** The operations of one event, in execution order (not yet inserted). */
  private async operationsOf(event: PipelineEvent, traceHeaders?: Record<string, string>): Promise<NewOperation[]> {
    const resolution = this.metadata.resolve(event.message, event.entity, event.changedAttributes);
    const traceContext = traceHeaders ?? (injectTraceHeaders({}) as Record<string, string>);
    const input = {
      message: event.message,
      entity: event.entity,
      recordId: event.recordId,
      target: event.target,
      preImage: event.preImage,
      postImage: event.postImage,
      changedAttributes: event.changedAttributes,
      initiatingUserId: event.initiatingUserId,
      // For asynchronous steps: the images they registered (by alias), message outputs, commit time.
      preImages: event.preImages ?? {},
      postImages: event.postImages ?? {},
      parameters: event.parameters ?? {},
      occurredAt: event.occurredAt,
    };
    const base: OperationBase = {
      state: State.Ready,
      status: Status.WaitingForResources,
      eventId: event.eventId,
      correlationId: event.correlationId,
      depth: event.depth,
      primaryEntity: event.entity,
      regardingId: event.recordId,
      owner: event.initiatingUserId,
      postponeUntil: new Date(),
      traceContext,
      dependencyToken: null,
    };
    if (event.webhook) return [await this.webhookOperation(event, event.webhook, base, input)];
    const background = resolution.workflows.filter((workflow) => workflow.mode === ProcessMode.Background);
    // Definitions asking for one run at a time per record get the token `entity:recordId`
    // (compiled versions are immutable and cached: one registry call per version).
    const tokens = new Map<string, string | null>();
    for (const workflow of background) {
      const compiled = await this.versions.get(workflow.definitionId, workflow.version);
      tokens.set(workflow.definitionId, dependencyTokenOf(compiled, event.entity, event.recordId));
    }
    // Execution order: workflows in activation order, then asynchronous steps by stage, rank and registration.
    return [
      ...background.map((workflow) => ({
        ...base,
        id: timeOrderedId(),
        operationType: AsyncOperationType.Workflow,
        name: workflow.uniqueName,
        processKey: workflow.definitionId,
        definitionId: workflow.definitionId,
        definitionVersion: workflow.version,
        stepRegistrationId: null,
        dependencyToken: tokens.get(workflow.definitionId) ?? null,
        input: { ...input, contentHash: workflow.contentHash },
      })),
      ...resolution.asynchronous.map((step) => ({
        ...base,
        id: timeOrderedId(),
        operationType: AsyncOperationType.SystemEvent,
        name: step.name,
        processKey: step.id,
        definitionId: null,
        definitionVersion: null,
        stepRegistrationId: step.id,
        input,
      })),
    ];
  }

  /**
   * Events of one partition, in offset order, in one statement: their operations inserted in
   * that order (so `sequence` keeps event order), each idempotently (event id + process), and the
   * suspended operations waiting on their records woken.
   */
  async dispatchMany(events: Array<{ event: PipelineEvent; trace?: Record<string, string> }>): Promise<DispatchResult> {
    const rows: NewOperation[] = [];
    for (const { event, trace: traceHeaders } of events) rows.push(...(await this.operationsOf(event, traceHeaders)));
    // A webhook call changed no record: it wakes nothing.
    const records = [
      ...new Map(
        events.filter(({ event }) => !event.webhook).map(({ event }) => [`${event.entity}\u0000${event.recordId}`, event]),
      ).values(),
    ];
    const { created, woken, started } = await this.repository.dispatch(
      rows,
      records.map((event) => ({ entity: event.entity, recordId: event.recordId })),
    );
    if (created.length + woken.length > 0) {
      this.logger.log(
        {
          events: events.length,
          ...(events.length === 1 ? { eventId: events[0]!.event.eventId, correlationId: events[0]!.event.correlationId } : {}),
          created: created.length,
          // Of those, handed to this process's workers without a claim (ready-signal.ts's HandOff).
          started,
          woken: woken.length,
        },
        'dispatched',
      );
    }
    return { created, woken };
  }
}

/**
 * The dispatcher: a consumer group on flowline.pipeline-events.v1. For each event it resolves
 * the activated workflows and asynchronous steps it triggers (from the metadata cache),
 * snapshots the definition version and the event, and inserts one async operation per match in
 * execution order, idempotently (event id + process). It also makes Ready the suspended
 * operations that wait on the event's record. All in one transaction; the offset is committed
 * after it (ConsumerRunner commits after the handler).
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import {
  AsyncOperationState as State,
  AsyncOperationStatus as Status,
  AsyncOperationType,
  ConsumerGroups,
  PIPELINE_EVENT_TYPE,
  PipelineEventSchema,
  ProcessMode,
  Topics,
  type Envelope,
  type PipelineEvent,
} from '@flowline/contracts';
import { MetadataCache } from '@flowline/metadata-cache';
import {
  ConsumerRunner,
  EnvelopeProducer,
  injectTraceHeaders,
  KAFKA,
  kafkaLog,
  PermanentMessageError,
  TopicNames,
  type Kafka,
} from '@flowline/messaging';
import { DependencyUnavailable } from '@flowline/service-kit';
import { AsyncOperationRow } from '../operations/async-operation.entity';
import { dependencyTokenOf } from '../operations/dependency-token';
import { OperationEvents } from '../operations/operation-events';
import { transition } from '../operations/operation-transitions';
import { DefinitionVersions } from '../worker/definition-versions';

/** Wake-ups are set-based SQL; the move itself is the transition function's. */
const WAITING = { state: State.Suspended, status: Status.Waiting };
const WOKEN = transition(WAITING, 'wake');

export interface DispatchResult {
  created: string[];
  woken: string[];
}

@Injectable()
export class DispatcherService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Dispatcher');
  private runner: ConsumerRunner | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metadata: MetadataCache,
    private readonly events: OperationEvents,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly names: TopicNames,
    private readonly producer: EnvelopeProducer,
    private readonly versions: DefinitionVersions,
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
      handler: async (envelope) => {
        if (envelope.type !== PIPELINE_EVENT_TYPE) throw new PermanentMessageError(`type '${envelope.type}' is not a pipeline event`);
        const parsed = PipelineEventSchema.safeParse(envelope.payload);
        if (!parsed.success)
          throw new PermanentMessageError(
            `invalid pipeline event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        // Kept and tried again (never dead-lettered) until the registry has answered once.
        if (!this.metadata.ready)
          throw new DependencyUnavailable('registry', 'METADATA_NOT_LOADED', 'the metadata cache is not loaded yet');
        await this.dispatch(envelope, parsed.data);
      },
    });
    await this.runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
  }

  async dispatch(envelope: Envelope, event: PipelineEvent): Promise<DispatchResult> {
    const resolution = this.metadata.resolve(event.message, event.entity, event.changedAttributes);
    const trace = injectTraceHeaders({}) as Record<string, string>;
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
    const base = {
      state: State.Ready,
      status: Status.WaitingForResources,
      eventId: event.eventId,
      correlationId: event.correlationId,
      depth: event.depth,
      primaryEntity: event.entity,
      regardingId: event.recordId,
      owner: event.initiatingUserId,
      postponeUntil: new Date(),
      traceContext: trace,
      instanceState: null,
      dependencyToken: null,
    };
    const background = resolution.workflows.filter((workflow) => workflow.mode === ProcessMode.Background);
    // Definitions asking for one run at a time per record get the token `entity:recordId`
    // (compiled versions are immutable and cached: one registry call per version).
    const tokens = new Map<string, string | null>();
    for (const workflow of background) {
      const compiled = await this.versions.get(workflow.definitionId, workflow.version);
      tokens.set(workflow.definitionId, dependencyTokenOf(compiled, event.entity, event.recordId));
    }
    // Execution order: workflows in activation order, then asynchronous steps by stage, rank and registration.
    const rows: Array<Partial<AsyncOperationRow>> = [
      ...background.map((workflow) => ({
        ...base,
        id: randomUUID(),
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
        id: randomUUID(),
        operationType: AsyncOperationType.SystemEvent,
        name: step.name,
        processKey: step.id,
        definitionId: null,
        definitionVersion: null,
        stepRegistrationId: step.id,
        input,
      })),
    ];
    return this.dataSource.transaction(async (manager) => {
      const created: string[] = [];
      for (const row of rows) {
        // Uses UQ_async_operation_event_process: a redelivered event creates nothing twice.
        const result = await manager
          .createQueryBuilder()
          .insert()
          .into(AsyncOperationRow)
          .values(row as never)
          .orIgnore()
          .returning(['id'])
          .execute();
        if ((result.raw as unknown[]).length > 0) created.push(row.id!);
      }
      const woken = await this.wake(manager, event.entity, event.recordId);
      await this.events.recordMany(manager, [...created, ...woken], envelope.correlationId);
      // Delivered at commit: idle workers start at once instead of at their next poll.
      if (created.length + woken.length > 0) await manager.query(`SELECT pg_notify('flowline_executor_ready', '')`);
      if (created.length + woken.length > 0) {
        this.logger.log(
          { eventId: event.eventId, correlationId: event.correlationId, created: created.length, woken: woken.length },
          'dispatched',
        );
      }
      return { created, woken };
    });
  }

  /** Suspended operations waiting on this record become Ready; their subscriptions are spent. */
  private async wake(manager: EntityManager, entity: string, recordId: string): Promise<string[]> {
    // Uses IDX_wait_subscription_record.
    const rows: Array<{ id: string }> = await manager.query(
      `WITH woken AS (
         UPDATE "executor"."async_operation" o SET "state" = $3, "status" = $4, "postpone_until" = now(), "row_version" = o."row_version" + 1
          WHERE o."state" = $5 AND o."status" = $6
            AND o."id" IN (SELECT s."operation_id" FROM "executor"."wait_subscription" s WHERE s."entity" = $1 AND s."record_id" = $2)
         RETURNING o."id")
       SELECT "id" FROM woken`,
      [entity, recordId, WOKEN.state, WOKEN.status, WAITING.state, WAITING.status],
    );
    const ids = rows.map((row) => row.id);
    if (ids.length > 0) await manager.query(`DELETE FROM "executor"."wait_subscription" WHERE "operation_id" = ANY($1::uuid[])`, [ids]);
    return ids;
  }
}

/**
 * Execute: one message through the event pipeline.
 *
 *   stage 10 (PreValidation) synchronous steps, outside the transaction
 *   BEGIN
 *     lock the record; check the expected version; apply relative operations to what it holds
 *     stage 20 (PreOperation) synchronous steps: may change the target
 *     stage 30 (MainOperation): validate the target against the metadata and write (main-operations/)
 *     stage 40 (PostOperation) synchronous steps
 *     the pipeline event into the outbox (pipeline-event.ts); the idempotency answer
 *   COMMIT
 *
 * Any step that refuses rolls everything back and the caller gets its message. A repeated
 * call with the same idempotency key gets the first answer and writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Histogram, type Registry } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { PipelineStage, SdkMessage, type EntityMetadata } from '@flowline/contracts';
import { MetadataCache, type Resolution } from '@flowline/metadata-cache';
import { FlowlineError, invalidArgument, notFound } from '@flowline/rpc';
import { METRICS_REGISTRY } from '@flowline/service-kit';
import { StepRefusal, type ExecutionContext } from '@flowline/plugin-steps';
import { IdempotencyStore, isKeyRace } from '../idempotency/idempotency.store';
import { LoopGuard } from '../loop-protection/loop-guard';
import { RecordRow } from '../records/record.entity';
import { recordView, selectColumns } from '../records/record-view';
import { isWriteMessage, MAIN_OPERATIONS } from './main-operations';
import { buildPipelineEvent, writePipelineEvent } from './pipeline-event';
import { PipelineErrorCode as Code } from './pipeline.errors';
import type { ExecuteInput, ExecuteResult } from './pipeline.types';
import { retrieve, retrieveMultiple } from './read-messages';
import { applyOperations, checkOperations, type CheckedOperations } from './relative-operations';
import { runStage } from './step-runner';

export type { ExecuteInput, ExecuteResult } from './pipeline.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type StageName = 'prevalidation' | 'preoperation' | 'mainoperation' | 'postoperation';

/** One write, checked and resolved, on its way through the stages. */
interface Operation {
  input: ExecuteInput;
  entity: EntityMetadata;
  recordId: string;
  custom: boolean;
  operations: CheckedOperations;
  resolution: Resolution;
  context: ExecutionContext;
}

@Injectable()
export class PipelineService {
  private readonly logger = new Logger('Pipeline');
  private readonly idempotency: IdempotencyStore;

  /** Time spent in each stage of the pipeline (stage 30, the main operation, includes its validation and write). */
  private readonly stageDuration: Histogram<'stage'>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metadata: MetadataCache,
    private readonly loops: LoopGuard,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.idempotency = new IdempotencyStore(dataSource);
    this.stageDuration = new Histogram({
      name: 'flowline_gateway_pipeline_stage_duration_seconds',
      help: 'Time spent in each pipeline stage of Execute: prevalidation (10), preoperation (20), mainoperation (30: validation and the write), postoperation (40, synchronous steps)',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  private async timed<T>(stage: StageName, work: () => Promise<T>): Promise<T> {
    const end = this.stageDuration.startTimer({ stage });
    try {
      return await work();
    } finally {
      end();
    }
  }

  async execute(input: ExecuteInput): Promise<ExecuteResult> {
    const entity = await this.entityOf(input.entity);
    // Reads trigger nothing, so they cannot loop: no depth check.
    if (input.message === SdkMessage.Retrieve) return retrieve(this.dataSource.manager, entity, input);
    if (input.message === SdkMessage.RetrieveMultiple) return retrieveMultiple(this.dataSource.manager, entity, input);

    const answered = await this.idempotency.answerFor(input);
    if (answered) return answered;
    await this.loops.enter({ ...input, depth: Math.max(1, input.depth) });
    const operation = this.prepare(entity, input);
    try {
      // Stage 10 runs before any lock is taken: it sees no images.
      await this.preValidation(operation);
      return await this.dataSource.transaction(async (manager) => {
        const result = await this.inTransaction(manager, operation);
        await this.idempotency.save(manager, input, result);
        return result;
      });
    } catch (error) {
      if (error instanceof StepRefusal) throw this.refusal(error, operation);
      // Two calls with one idempotency key raced: the loser answers with the winner's result.
      if (input.idempotencyKey && isKeyRace(error)) return (await this.idempotency.answerFor(input))!;
      throw error;
    }
  }

  private refusal(error: StepRefusal, operation: Operation): FlowlineError {
    return new FlowlineError(
      'FAILED_PRECONDITION',
      Code.StepRefused,
      `step '${error.stepName}' refused ${operation.input.message} of ${operation.entity.logicalName}: ${error.message}`,
    );
  }

  private async entityOf(name: string): Promise<EntityMetadata> {
    if (!this.metadata.ready)
      throw new FlowlineError(
        'UNAVAILABLE',
        Code.MetadataUnavailable,
        'entity metadata is not loaded yet from the registry: retry in a moment',
      );
    const entity = await this.metadata.entity(name);
    if (!entity) throw notFound(Code.UnknownEntity, `no entity '${name}' in the metadata: create it in the registry first`);
    return entity;
  }

  /** Everything that can be checked before the transaction: the message, the id, the operations; the steps it triggers. */
  private prepare(entity: EntityMetadata, input: ExecuteInput): Operation {
    const operations = checkOperations(entity, input.message, input.target, input.operations);
    const resolution = this.metadata.resolve(input.message, entity.logicalName, [...Object.keys(input.target), ...Object.keys(operations)]);
    const custom = !isWriteMessage(input.message);
    if (custom && resolution.synchronous.every((stage) => stage.steps.length === 0) && resolution.asynchronous.length === 0) {
      throw notFound(
        Code.UnknownMessage,
        `no message '${input.message}' for ${entity.logicalName}: register a step for it in the registry`,
      );
    }
    const recordId = input.id || (input.message === SdkMessage.Create ? randomUUID() : '');
    if (!UUID.test(recordId) && !(custom && recordId === '')) {
      throw invalidArgument(Code.InvalidParameters, `the record id must be a UUID, got '${recordId}'`, [
        { field: 'id', description: 'expected a UUID' },
      ]);
    }
    const context: ExecutionContext = {
      messageName: input.message,
      primaryEntityName: entity.logicalName,
      primaryEntityId: recordId,
      stage: PipelineStage.PreValidation,
      mode: 0,
      depth: Math.max(1, input.depth),
      correlationId: input.correlationId,
      initiatingUserId: input.initiatingUserId,
      inputParameters: { ...input.parameters, Target: { ...input.target } },
      outputParameters: {},
      sharedVariables: {},
      preEntityImages: {},
      postEntityImages: {},
      operationCreatedOn: new Date().toISOString(),
    };
    return { input, entity, recordId, custom, operations, resolution, context };
  }

  private async preValidation(operation: Operation): Promise<void> {
    const { context } = operation;
    await this.timed('prevalidation', () =>
      runStage(operation.resolution.synchronous[0]!.steps, {
        context,
        recordAfter: () => ({ ...context.inputParameters.Target }),
        preImage: null,
        postImage: null,
      }),
    );
  }

  /** The record locked for this transaction, checked for existence and the expected version. */
  private async lockRecord(manager: EntityManager, operation: Operation): Promise<RecordRow | null> {
    const { entity, input, recordId, custom } = operation;
    const existing = recordId
      ? await manager
          .getRepository(RecordRow)
          .findOne({ where: { entity: entity.logicalName, id: recordId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const creating = input.message === SdkMessage.Create;
    if (creating && existing)
      throw new FlowlineError('ALREADY_EXISTS', Code.RecordExists, `${entity.logicalName} ${recordId} already exists: use Update`);
    if (!creating && !custom && !existing) throw notFound(Code.RecordNotFound, `no ${entity.logicalName} with id ${recordId}`);
    if (existing && input.expectedVersion && existing.version !== input.expectedVersion) {
      throw new FlowlineError(
        'ABORTED',
        Code.VersionConflict,
        `${entity.logicalName} ${recordId} is at version ${existing.version}, not ${input.expectedVersion}: read it again and reapply your change`,
      );
    }
    return existing;
  }

  private async inTransaction(manager: EntityManager, operation: Operation): Promise<ExecuteResult> {
    const { entity, input, context, resolution, recordId } = operation;
    const existing = await this.lockRecord(manager, operation);
    if (existing && Object.keys(operation.operations).length > 0) {
      // Under the row lock: what the record holds now, whatever the caller read before.
      context.inputParameters.Target = {
        ...context.inputParameters.Target,
        ...applyOperations(entity, existing.attributes, operation.operations),
      };
    }
    const pre = existing ? recordView(entity, existing) : null;
    const afterOf = () => ({ ...(pre ?? {}), ...(context.inputParameters.Target ?? {}) });

    await this.timed('preoperation', () =>
      runStage(resolution.synchronous[1]!.steps, { context, recordAfter: afterOf, preImage: pre, postImage: null }),
    );

    const target = context.inputParameters.Target ?? {};
    const now = new Date();
    const row = await this.timed('mainoperation', () =>
      isWriteMessage(input.message)
        ? MAIN_OPERATIONS[input.message]({
            manager,
            entity,
            input,
            recordId,
            existing,
            target,
            fromOperations: new Set(Object.keys(operation.operations)),
            now,
          })
        : // A custom message: no main operation of its own; its steps do the work.
          Promise.resolve(existing),
    );
    const post = row ? recordView(entity, row) : null;

    await this.timed('postoperation', () =>
      runStage(resolution.synchronous[2]!.steps, { context, recordAfter: () => post ?? {}, preImage: pre, postImage: post }),
    );

    const event = buildPipelineEvent({
      eventId: randomUUID(),
      message: input.message,
      entity: entity.logicalName,
      recordId,
      recordVersion: row?.version ?? 0,
      target,
      pre,
      post,
      custom: operation.custom,
      depth: context.depth,
      correlationId: input.correlationId,
      initiatingUserId: input.initiatingUserId,
      origin: input.origin,
      occurredAt: now,
      outputParameters: context.outputParameters,
      asynchronousSteps: resolution.asynchronous,
    });
    await writePipelineEvent(manager, event);
    this.logger.debug(
      { message: input.message, entity: entity.logicalName, recordId, eventId: event.eventId, correlationId: input.correlationId },
      'executed',
    );
    return {
      id: recordId,
      version: row?.version ?? 0,
      ...(post ? { record: selectColumns(entity, post, input.columns) } : {}),
      output: context.outputParameters,
      eventId: event.eventId,
      replayed: false,
    };
  }
}

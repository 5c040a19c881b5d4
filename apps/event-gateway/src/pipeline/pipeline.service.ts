/**
 * Execute: one message through the event pipeline.
 *
 *   input checks (input-checks.ts): no NUL or lone surrogate in any text, only columns the entity has
 *   loop protection (loop-protection/): the chain's depth within its window
 *   stage 10 (PreValidation) synchronous steps, outside the transaction
 *   BEGIN
 *     lock the record; check the expected version; apply relative operations to what it holds
 *     stage 20 (PreOperation) synchronous steps and real-time workflows, in rank order: may change the target
 *     stage 30 (MainOperation): validate the target against the metadata and write (main-operations/)
 *     stage 40 (PostOperation) synchronous steps and real-time workflows, in rank order
 *     the pipeline event into the outbox (pipeline-event.ts); the idempotency answer
 *   COMMIT
 *
 * A plain Create, one that nothing runs inside of, skips the transaction: one statement writes
 * the record, its pipeline event and the idempotency answer (one-statement-create.ts).
 *
 * `executeBatch` runs several writes this way in one transaction, each in a savepoint, so a
 * refused one rolls back alone (the domain-event consumer applies a fetched batch like this);
 * consecutive plain Creates of a batch share one statement and one savepoint.
 *
 * Any step that refuses rolls everything back and the caller gets its message. A repeated
 * call with the same idempotency key gets the first answer and writes nothing. Record steps of
 * real-time workflows come back in through `executeWithin`: the same stages, in the same
 * transaction, one level deeper.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Histogram, type Registry } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { PipelineStage, SdkMessage, type EntityMetadata } from '@flowline/contracts';
import { MetadataCache } from '@flowline/metadata-cache';
import { FlowlineError, notFound } from '@flowline/rpc';
import { METRICS_REGISTRY } from '@flowline/service-kit';
import { StepRefusal } from '@flowline/plugin-steps';
import { IdempotencyStore, isKeyRace } from '../idempotency/idempotency.store';
import { LoopGuard, type DepthWindow } from '../loop-protection/loop-guard';
import type { RealTimeRun } from '../real-time/real-time-run';
import { RealTimeRunner } from '../real-time/real-time-runner';
import { RealTimeWorkflows, type RealTimeStage, type RealTimeWorkflow } from '../real-time/real-time-workflows';
import { RecordRow } from '../records/record.entity';
import { changedAttributes, recordView, selectColumns, type RecordView } from '../records/record-view';
import { isWriteMessage, MAIN_OPERATIONS } from './main-operations';
import { buildPipelineEvent, TransactionEvents } from './pipeline-event';
import { PipelineErrorCode as Code } from './pipeline.errors';
import type { ExecuteInput, ExecuteResult } from './pipeline.types';
import { retrieve, retrieveMultiple } from './read-messages';
import { applyOperations, checkOperations } from './relative-operations';
import { refuseUnknownColumns, refuseUnstorableInput } from './input-checks';
import { runStage } from './step-runner';
import { CreateGroups } from './create-group';
import {
  createInOneStatement,
  createManyInOneStatement,
  isPlainCreate,
  plainCreateOf,
  recordExists,
  recordKeyOf,
  type PlainCreate,
} from './one-statement-create';
import { lockRecord, prepareOperation, type Operation } from './operation';
import { inRankOrder } from './synchronous-stage';
import { timeOrderedId } from '@flowline/persistence';

export type { ExecuteInput, ExecuteResult } from './pipeline.types';

/** One write of a batch: its answer, or the refusal that rolled back that write alone. */
export type BatchOutcome = { ok: true; result: ExecuteResult } | { ok: false; error: unknown };

/**
 * Plain Creates of a batch written by one statement at most (the domain-event consumer's
 * transactions hold 50 events at most).
 */
const MAX_CREATE_GROUP = 50;

/**
 * Plain-Create statements over Execute running at once: the Creates that arrive meanwhile wait
 * and go together in the next one (create-group.ts). Two keep one statement's round trip
 * overlapping the next one's gathering; more would make smaller groups and more commits.
 */
const CREATE_STATEMENTS_IN_FLIGHT = 2;

type StageName = 'prevalidation' | 'preoperation' | 'mainoperation' | 'postoperation';

/** What a stage sees of the record. */
interface StageImages {
  pre: RecordView | null;
  post: RecordView | null;
  /** The record as it will be (stages 10 and 20) or is (40). */
  recordAfter: () => Record<string, unknown>;
}

const STAGE_INDEX = { [PipelineStage.PreValidation]: 0, [PipelineStage.PreOperation]: 1, [PipelineStage.PostOperation]: 2 } as const;
const STAGE_NAMES = {
  [PipelineStage.PreValidation]: 'prevalidation',
  [PipelineStage.PreOperation]: 'preoperation',
  [PipelineStage.PostOperation]: 'postoperation',
} as const;

@Injectable()
export class PipelineService {
  private readonly logger = new Logger('Pipeline');
  private readonly idempotency: IdempotencyStore;
  /** The gateway's schema, for the statements written by hand. */
  private readonly schema: string;

  /** Time spent in each stage of the pipeline (stage 30, the main operation, includes its validation and write). */
  private readonly stageDuration: Histogram<'stage'>;
  /** Plain Creates of a batch written by one statement (executeBatch). */
  private readonly createGroupSize: Histogram;
  /** Plain Creates over Execute written together when they arrive while others are being written (create-group.ts). */
  private readonly createGroups: CreateGroups;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metadata: MetadataCache,
    private readonly loops: LoopGuard,
    private readonly realTime: RealTimeWorkflows,
    private readonly realTimeRunner: RealTimeRunner,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.idempotency = new IdempotencyStore(dataSource);
    this.schema = (dataSource.options as { schema?: string }).schema ?? 'gateway';
    this.stageDuration = new Histogram({
      name: 'flowline_gateway_pipeline_stage_duration_seconds',
      help: 'Time spent in each pipeline stage of Execute: prevalidation (10), preoperation (20), mainoperation (30: validation and the write), postoperation (40, synchronous steps)',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.createGroupSize = new Histogram({
      name: 'flowline_gateway_batch_create_group_size',
      help: 'Plain Creates of a batch (the domain-event consumer) written together by one statement',
      buckets: [1, 2, 5, 10, 20, 50],
      registers: [registry],
    });
    const groupSize = new Histogram({
      name: 'flowline_gateway_create_group_size',
      help: 'Plain Creates over Execute written by one statement and one commit (1: alone; more: they arrived while others were being written)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 100],
      registers: [registry],
    });
    this.createGroups = new CreateGroups(dataSource, this.schema, {
      maxInFlight: CREATE_STATEMENTS_IN_FLIGHT,
      maxGroup: 100,
      observe: (size) => groupSize.observe(size),
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
    const entity = await this.checkedEntityOf(input);
    // Reads trigger nothing, so they cannot loop: no depth check.
    if (input.message === SdkMessage.Retrieve) return retrieve(this.dataSource.manager, entity, input);
    if (input.message === SdkMessage.RetrieveMultiple) return retrieveMultiple(this.dataSource.manager, entity, input);

    const answered = await this.idempotency.answerFor(input);
    if (answered) return answered;
    const window = await this.loops.enter({ ...input, depth: Math.max(1, input.depth) });
    const operation = prepareOperation(this.metadata, entity, input, window);
    try {
      // Stage 10 runs before any lock is taken: it sees no images.
      await this.preValidation(operation);
      if (isPlainCreate(operation, this.realTime)) {
        const created = await this.timed('mainoperation', () => createInOneStatement(this.createGroups, operation));
        if (created) {
          // Stages 20 and 40 had nothing to run: counted, as the transaction counts its empty stages.
          this.stageDuration.observe({ stage: 'preoperation' }, 0);
          this.stageDuration.observe({ stage: 'postoperation' }, 0);
          this.logExecuted(operation, created.eventId!);
          return created;
        }
      }
      return await this.dataSource.transaction((manager) => this.write(manager, operation));
    } catch (error) {
      if (error instanceof StepRefusal) throw this.refusal(error, operation);
      // Two calls with one idempotency key raced: the loser answers with the winner's result.
      if (input.idempotencyKey && isKeyRace(error)) return (await this.idempotency.answerFor(input))!;
      throw error;
    }
  }

  /**
   * Several writes in one transaction, in the order given: every one goes through the whole
   * pipeline (idempotency answer, loop protection, stage 10, the record's lock, stages 20 to 40,
   * its pipeline event into the outbox) and sees what the earlier ones wrote. One that fails with
   * an error `isRefusal` accepts (a step's refusal, an invalid target, a missing record: see the
   * caller) is rolled back alone and answered as refused; any other error rolls the whole batch
   * back and is thrown. Records stay locked until the batch commits, so callers keep batches small.
   *
   * Set-based where it can be: the batch's idempotency keys are looked up in one read, and
   * consecutive plain Creates (`isPlainCreate`) of distinct records with new keys are written
   * together, one statement in one savepoint for all of them (createManyInOneStatement). Any
   * other write, and every write of a group whose statement failed, goes alone in its own
   * savepoint. A write waits for the group before it to be written, so the order holds.
   */
  async executeBatch(inputs: readonly ExecuteInput[], isRefusal: (error: unknown) => boolean): Promise<BatchOutcome[]> {
    return this.dataSource.transaction(async (manager) => {
      const outcomes: BatchOutcome[] = new Array<BatchOutcome>(inputs.length);
      const known = await this.idempotency.knownKeys(
        inputs.flatMap((input) => (input.idempotencyKey ? [input.idempotencyKey] : [])),
        manager,
      );
      const seen = new Set<string>();
      let group: Array<{ index: number; operation: Operation; create: PlainCreate }> = [];
      let groups = 0;
      /** One write alone, in its own savepoint (the batch's original path). */
      const alone = async (index: number, write: () => Promise<ExecuteResult>): Promise<void> => {
        const input = inputs[index]!;
        const savepoint = `batch_write_${index}`;
        await manager.query(`SAVEPOINT ${savepoint}`);
        try {
          outcomes[index] = { ok: true, result: await write() };
          await manager.query(`RELEASE SAVEPOINT ${savepoint}`);
        } catch (error) {
          const raced = Boolean(input.idempotencyKey) && isKeyRace(error);
          if (!raced && !isRefusal(error)) throw error;
          await manager.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
          // Another call with the same key committed first: answer with its result, as Execute does.
          const answer = raced ? await this.idempotency.answerFor(input, manager) : undefined;
          outcomes[index] = answer ? { ok: true, result: answer } : { ok: false, error };
        }
      };
      const flush = async (): Promise<void> => {
        const pending = group;
        group = [];
        if (pending.length === 0) return;
        this.createGroupSize.observe(pending.length);
        const savepoint = `batch_group_${groups++}`;
        await manager.query(`SAVEPOINT ${savepoint}`);
        let created: Set<number>;
        try {
          created = await this.timed('mainoperation', () =>
            createManyInOneStatement(
              manager,
              this.schema,
              pending.map((one) => one.create),
            ),
          );
          await manager.query(`RELEASE SAVEPOINT ${savepoint}`);
        } catch {
          // Nothing of the group was written (one statement): each alone, for its own outcome.
          await manager.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
          for (const { index, operation } of pending) await alone(index, () => this.write(manager, operation));
          return;
        }
        pending.forEach(({ index, operation, create }, n) => {
          if (!created.has(n)) {
            const exists = recordExists(operation);
            if (!isRefusal(exists)) throw exists;
            outcomes[index] = { ok: false, error: exists };
            return;
          }
          this.stageDuration.observe({ stage: 'preoperation' }, 0);
          this.stageDuration.observe({ stage: 'postoperation' }, 0);
          this.logExecuted(operation, create.result.eventId!);
          outcomes[index] = { ok: true, result: create.result };
        });
      };
      for (const [index, input] of inputs.entries()) {
        const key = input.idempotencyKey;
        // A key answered before the batch, or used earlier in it: the original path answers it.
        const fresh = !key || (!known.has(key) && !seen.has(key));
        if (key) seen.add(key);
        if (!fresh || input.message === SdkMessage.Retrieve || input.message === SdkMessage.RetrieveMultiple) {
          await flush();
          await alone(index, () => this.executeInBatch(manager, input));
          continue;
        }
        // Nothing here runs a statement in the batch's transaction (the key is new, checked above).
        let operation: Operation;
        let create: PlainCreate | undefined;
        try {
          operation = await this.preparedWrite(input);
          create = isPlainCreate(operation, this.realTime) ? plainCreateOf(operation) : undefined;
        } catch (error) {
          if (!isRefusal(error)) throw error;
          outcomes[index] = { ok: false, error };
          continue;
        }
        if (!create) {
          await flush();
          const prepared = operation;
          await alone(index, () => this.writeRefusing(manager, prepared));
          continue;
        }
        const record = recordKeyOf(create.row);
        if (group.some((one) => recordKeyOf(one.create.row) === record)) await flush();
        group.push({ index, operation, create });
        if (group.length >= MAX_CREATE_GROUP) await flush();
      }
      await flush();
      return outcomes;
    });
  }

  /** Loop protection, the operation and stage 10 of a write (no statement in any transaction). */
  private async preparedWrite(input: ExecuteInput, entity?: EntityMetadata): Promise<Operation> {
    entity ??= await this.checkedEntityOf(input);
    const window = await this.loops.enter({ ...input, depth: Math.max(1, input.depth) });
    const operation = prepareOperation(this.metadata, entity, input, window);
    try {
      await this.preValidation(operation);
    } catch (error) {
      if (error instanceof StepRefusal) throw this.refusal(error, operation);
      throw error;
    }
    return operation;
  }

  /** `write`, with a step's refusal told as the pipeline tells it. */
  private async writeRefusing(manager: EntityManager, operation: Operation): Promise<ExecuteResult> {
    try {
      return await this.write(manager, operation);
    } catch (error) {
      if (error instanceof StepRefusal) throw this.refusal(error, operation);
      throw error;
    }
  }

  private async executeInBatch(manager: EntityManager, input: ExecuteInput): Promise<ExecuteResult> {
    const entity = await this.checkedEntityOf(input);
    if (input.message === SdkMessage.Retrieve) return retrieve(manager, entity, input);
    if (input.message === SdkMessage.RetrieveMultiple) return retrieveMultiple(manager, entity, input);
    // Read in the batch's transaction: a key used twice in one batch answers the first write.
    const answered = await this.idempotency.answerFor(input, manager);
    if (answered) return answered;
    return this.writeRefusing(manager, await this.preparedWrite(input, entity));
  }

  /** Stages 20 to 40 of one write, its pipeline events into the outbox and its idempotency answer, in the given transaction. */
  private async write(manager: EntityManager, operation: Operation): Promise<ExecuteResult> {
    const events = new TransactionEvents();
    const result = await this.inTransaction(manager, operation, events);
    await events.write(manager);
    await this.idempotency.save(manager, operation.input, result);
    return result;
  }

  /**
   * A record step of a real-time workflow: the same pipeline inside the operation's transaction
   * (it sees what the operation wrote so far, and rolls back with it), in the same loop window.
   */
  async executeWithin(manager: EntityManager, events: TransactionEvents, input: ExecuteInput, window: DepthWindow): Promise<ExecuteResult> {
    this.loops.check(input, window);
    const entity = await this.checkedEntityOf(input);
    if (input.message === SdkMessage.Retrieve) return retrieve(manager, entity, input);
    if (input.message === SdkMessage.RetrieveMultiple) return retrieveMultiple(manager, entity, input);
    const operation = prepareOperation(this.metadata, entity, input, window);
    try {
      await this.preValidation(operation);
      return await this.inTransaction(manager, operation, events);
    } catch (error) {
      if (error instanceof StepRefusal) throw this.refusal(error, operation);
      throw error;
    }
  }

  private logExecuted({ input, entity, recordId }: Operation, eventId: string): void {
    this.logger.debug(
      { message: input.message, entity: entity.logicalName, recordId, eventId, correlationId: input.correlationId },
      'executed',
    );
  }

  private refusal(error: StepRefusal, operation: Operation): FlowlineError {
    return new FlowlineError(
      'FAILED_PRECONDITION',
      Code.StepRefused,
      `step '${error.stepName}' refused ${operation.input.message} of ${operation.entity.logicalName}: ${error.message}`,
    );
  }

  /** The input's entity, once the input holds only storable text and asks only for columns the entity has. */
  private async checkedEntityOf(input: ExecuteInput): Promise<EntityMetadata> {
    refuseUnstorableInput(input);
    const entity = await this.entityOf(input.entity);
    refuseUnknownColumns(entity, input.columns);
    return entity;
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

  /** Stage 20 or 40: the stage's plug-in steps and real-time workflows, in rank order. */
  private async synchronousStage(
    manager: EntityManager,
    events: TransactionEvents,
    operation: Operation,
    stage: RealTimeStage,
    images: StageImages,
  ): Promise<{ actedOnRecords: boolean }> {
    const { context, resolution, input } = operation;
    const workflows = this.realTime.forStage(resolution.workflows, input.message, Object.keys(context.inputParameters.Target ?? {}), stage);
    let actedOnRecords = false;
    await this.timed(STAGE_NAMES[stage], async () => {
      for (const item of inRankOrder(resolution.synchronous[STAGE_INDEX[stage]]!.steps, workflows)) {
        if ('step' in item) {
          await runStage([item.step], { context, recordAfter: images.recordAfter, preImage: images.pre, postImage: images.post });
        } else if ((await this.runRealTime(manager, events, operation, stage, images, item.workflow)).actedOnRecords) {
          actedOnRecords = true;
        }
      }
    });
    return { actedOnRecords };
  }

  private async runRealTime(
    manager: EntityManager,
    events: TransactionEvents,
    operation: Operation,
    stage: RealTimeStage,
    images: StageImages,
    workflow: RealTimeWorkflow,
  ): Promise<{ actedOnRecords: boolean }> {
    const { context, entity, input } = operation;
    // At PreOperation the workflow sees the record as it will be; at PostOperation as it is (its pre-image after a Delete).
    const run: RealTimeRun = {
      stage,
      message: input.message,
      entity: entity.logicalName,
      recordId: operation.recordId,
      record: stage === PipelineStage.PreOperation ? images.recordAfter() : (images.post ?? images.pre ?? {}),
      pre: images.pre,
      changed:
        stage === PipelineStage.PreOperation
          ? Object.keys(context.inputParameters.Target ?? {})
          : changedAttributes(images.pre, images.post),
      depth: context.depth,
      correlationId: input.correlationId,
      initiatingUserId: input.initiatingUserId,
      changeTarget: (target, operations) => {
        const checked = checkOperations(entity, SdkMessage.Update, target, operations);
        const applied = Object.keys(checked).length > 0 ? applyOperations(entity, images.recordAfter(), checked) : {};
        context.inputParameters.Target = { ...context.inputParameters.Target, ...target, ...applied };
        return images.recordAfter();
      },
      execute: (nested) => this.executeWithin(manager, events, nested, operation.window),
    };
    return this.realTimeRunner.run(workflow, run);
  }

  private async inTransaction(manager: EntityManager, operation: Operation, events: TransactionEvents): Promise<ExecuteResult> {
    const { entity, input, context, resolution, recordId } = operation;
    const existing = await lockRecord(manager, operation);
    if (existing && Object.keys(operation.operations).length > 0) {
      // Under the row lock: what the record holds now, whatever the caller read before.
      context.inputParameters.Target = {
        ...context.inputParameters.Target,
        ...applyOperations(entity, existing.attributes, operation.operations),
      };
    }
    const pre = existing ? recordView(entity, existing) : null;
    const afterOf = () => ({ ...(pre ?? {}), ...(context.inputParameters.Target ?? {}) });

    await this.synchronousStage(manager, events, operation, PipelineStage.PreOperation, { pre, post: null, recordAfter: afterOf });

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
    const slot = events.reserve();

    const postOperation = await this.synchronousStage(manager, events, operation, PipelineStage.PostOperation, {
      pre,
      post,
      recordAfter: () => post ?? {},
    });

    const event = buildPipelineEvent({
      eventId: timeOrderedId(),
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
    events.fill(slot, event);
    this.logExecuted(operation, event.eventId);
    // A PostOperation real-time workflow may have changed the record again: answer it as it is now.
    const answered =
      postOperation.actedOnRecords && row
        ? await manager.getRepository(RecordRow).findOneBy({ entity: entity.logicalName, id: recordId })
        : row;
    const final = answered ? recordView(entity, answered) : null;
    return {
      id: recordId,
      version: answered?.version ?? 0,
      ...(final ? { record: selectColumns(entity, final, input.columns) } : {}),
      output: context.outputParameters,
      eventId: event.eventId,
      replayed: false,
    };
  }
}

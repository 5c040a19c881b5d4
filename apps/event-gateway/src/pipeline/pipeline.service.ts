/**
 * Execute: one message through the event pipeline.
 *
 *   stage 10 (PreValidation) synchronous steps, outside the transaction
 *   BEGIN
 *     lock the record; check the expected version
 *     stage 20 (PreOperation) synchronous steps: may change the target
 *     validate the target against the metadata; the main operation
 *     stage 40 (PostOperation) synchronous steps
 *     the pipeline event into the outbox; the idempotency answer
 *   COMMIT
 *
 * Any step that refuses rolls everything back and the caller gets its message. A repeated
 * call with the same idempotency key gets the first answer and writes nothing.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Histogram, type Registry } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import {
  LoopProtection,
  PIPELINE_EVENT_SCHEMA_VERSION,
  PIPELINE_EVENT_TYPE,
  PipelineStage,
  SdkMessage,
  Topics,
  type EntityMetadata,
  type PipelineEvent,
} from '@flowline/contracts';
import { MetadataCache } from '@flowline/metadata-cache';
import { createEnvelope, recordKey, writeToOutbox } from '@flowline/messaging';
import { FlowlineError, invalidArgument, notFound } from '@flowline/rpc';
import { METRICS_REGISTRY } from '@flowline/service-kit';
import { validateStateChange, validateTarget } from '../records/attribute-validation';
import { RecordRow } from '../records/record.entity';
import { buildRecordQuery, nextPageToken, type QueryParameters } from '../records/record-query';
import { changedAttributes, recordView, selectColumns, type RecordView } from '../records/record-view';
import { IdempotencyKeyRow } from '../idempotency/idempotency-key.entity';
import { SERVICE } from '../config';
import { StepRefusal, type ExecutionContext } from '@flowline/plugin-steps';
import { PipelineErrorCode as Code } from './pipeline.errors';
import { imagesFor, runStage } from './step-runner';

export interface ExecuteInput {
  message: string;
  entity: string;
  id?: string;
  target: Record<string, unknown>;
  parameters: Record<string, unknown>;
  expectedVersion: number;
  idempotencyKey?: string;
  depth: number;
  correlationId: string;
  columns: string[];
  initiatingUserId: string;
  /** api, domain-event, or the calling service. */
  origin: string;
}

export interface ExecuteResult {
  id: string;
  version: number;
  record?: RecordView;
  records?: RecordView[];
  totalCount?: number;
  nextPageToken?: string;
  output: Record<string, unknown>;
  eventId?: string;
  replayed: boolean;
}

const WRITE_MESSAGES = new Set<string>([SdkMessage.Create, SdkMessage.Update, SdkMessage.Delete, SdkMessage.Assign, SdkMessage.SetState]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requestHash(input: ExecuteInput): string {
  const { idempotencyKey: _key, correlationId: _correlation, ...rest } = input;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

@Injectable()
export class PipelineService {
  private readonly logger = new Logger('Pipeline');

  /** Time spent in each stage of the pipeline (stage 30, the main operation, includes its validation and write). */
  private readonly stageDuration: Histogram<'stage'>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metadata: MetadataCache,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.stageDuration = new Histogram({
      name: 'flowline_gateway_pipeline_stage_duration_seconds',
      help: 'Time spent in each pipeline stage of Execute: prevalidation (10), preoperation (20), mainoperation (30: validation and the write), postoperation (40, synchronous steps)',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  private async timed<T>(stage: 'prevalidation' | 'preoperation' | 'mainoperation' | 'postoperation', work: () => Promise<T>): Promise<T> {
    const end = this.stageDuration.startTimer({ stage });
    try {
      return await work();
    } finally {
      end();
    }
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

  async execute(input: ExecuteInput): Promise<ExecuteResult> {
    const depth = Math.max(1, input.depth);
    if (depth > LoopProtection.maxDepth) {
      throw new FlowlineError(
        'RESOURCE_EXHAUSTED',
        Code.LoopDetected,
        `${input.message} of ${input.entity} arrived at depth ${depth}, beyond the limit of ${LoopProtection.maxDepth}: plug-ins or workflows are triggering each other in a loop`,
      );
    }
    const entity = await this.entityOf(input.entity);
    if (input.message === SdkMessage.Retrieve) return this.retrieve(entity, input);
    if (input.message === SdkMessage.RetrieveMultiple) return this.retrieveMultiple(entity, input);

    if (input.idempotencyKey) {
      const stored = await this.dataSource.getRepository(IdempotencyKeyRow).findOneBy({ key: input.idempotencyKey });
      if (stored) return this.replay(stored, input);
    }
    const resolution = this.metadata.resolve(input.message, entity.logicalName, Object.keys(input.target));
    const isCustom = !WRITE_MESSAGES.has(input.message);
    if (isCustom && resolution.synchronous.every((stage) => stage.steps.length === 0) && resolution.asynchronous.length === 0) {
      throw notFound(
        Code.UnknownMessage,
        `no message '${input.message}' for ${entity.logicalName}: register a step for it in the registry`,
      );
    }
    const recordId = input.id || (input.message === SdkMessage.Create ? randomUUID() : '');
    if (!UUID.test(recordId) && !(isCustom && recordId === '')) {
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
      depth,
      correlationId: input.correlationId,
      initiatingUserId: input.initiatingUserId,
      inputParameters: { ...input.parameters, Target: { ...input.target } },
      outputParameters: {},
      sharedVariables: {},
      preEntityImages: {},
      postEntityImages: {},
      operationCreatedOn: new Date().toISOString(),
    };

    try {
      // Stage 10 runs before any lock is taken: it sees no images.
      await this.timed('prevalidation', () =>
        runStage(resolution.synchronous[0]!.steps, {
          context,
          recordAfter: () => ({ ...context.inputParameters.Target }),
          preImage: null,
          postImage: null,
        }),
      );
      return await this.dataSource.transaction(async (manager) => {
        const result = await this.inTransaction(manager, entity, input, context, recordId, resolution);
        if (input.idempotencyKey) {
          await manager.query(`INSERT INTO "gateway"."idempotency_key" ("key", "request_hash", "response") VALUES ($1, $2, $3)`, [
            input.idempotencyKey,
            requestHash(input),
            JSON.stringify(result),
          ]);
        }
        return result;
      });
    } catch (error) {
      if (error instanceof StepRefusal) {
        throw new FlowlineError(
          'FAILED_PRECONDITION',
          Code.StepRefused,
          `step '${error.stepName}' refused ${input.message} of ${entity.logicalName}: ${error.message}`,
        );
      }
      // Two calls with one idempotency key raced: the loser answers with the winner's result.
      if (
        input.idempotencyKey &&
        (error as { code?: string }).code === '23505' &&
        String((error as Error).message).includes('PK_idempotency_key')
      ) {
        const stored = await this.dataSource.getRepository(IdempotencyKeyRow).findOneByOrFail({ key: input.idempotencyKey });
        return this.replay(stored, input);
      }
      throw error;
    }
  }

  private replay(stored: IdempotencyKeyRow, input: ExecuteInput): ExecuteResult {
    if (stored.requestHash !== requestHash(input)) {
      throw invalidArgument(
        Code.IdempotencyKeyReused,
        `idempotency key '${input.idempotencyKey}' was used for a different request: use a new key for a new request`,
        [{ field: 'idempotencyKey', description: 'already used for another request' }],
      );
    }
    return { ...(stored.response as unknown as ExecuteResult), replayed: true };
  }

  private async inTransaction(
    manager: EntityManager,
    entity: EntityMetadata,
    input: ExecuteInput,
    context: ExecutionContext,
    recordId: string,
    resolution: ReturnType<MetadataCache['resolve']>,
  ): Promise<ExecuteResult> {
    const records = manager.getRepository(RecordRow);
    const existing = recordId
      ? await records.findOne({ where: { entity: entity.logicalName, id: recordId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const isCreate = input.message === SdkMessage.Create;
    const isCustom = !WRITE_MESSAGES.has(input.message);
    if (isCreate && existing)
      throw new FlowlineError('ALREADY_EXISTS', Code.RecordExists, `${entity.logicalName} ${recordId} already exists: use Update`);
    if (!isCreate && !isCustom && !existing) throw notFound(Code.RecordNotFound, `no ${entity.logicalName} with id ${recordId}`);
    if (existing && input.expectedVersion && existing.version !== input.expectedVersion) {
      throw new FlowlineError(
        'ABORTED',
        Code.VersionConflict,
        `${entity.logicalName} ${recordId} is at version ${existing.version}, not ${input.expectedVersion}: read it again and reapply your change`,
      );
    }
    const pre = existing ? recordView(entity, existing) : null;
    const afterOf = () => ({ ...(pre ?? {}), ...(context.inputParameters.Target ?? {}) });

    await this.timed('preoperation', () =>
      runStage(resolution.synchronous[1]!.steps, { context, recordAfter: afterOf, preImage: pre, postImage: null }),
    );
    const mainOperation = this.stageDuration.startTimer({ stage: 'mainoperation' });

    const target = context.inputParameters.Target ?? {};
    const now = new Date();
    let row: RecordRow | null = existing;
    switch (input.message) {
      case SdkMessage.Create:
      case SdkMessage.Update: {
        const checked = validateTarget(entity, target, { creating: isCreate });
        for (const lookup of checked.lookups) {
          const found = await manager.getRepository(RecordRow).existsBy({
            entity: lookup.value.entity,
            id: UUID.test(lookup.value.id) ? lookup.value.id : '00000000-0000-0000-0000-000000000000',
          });
          if (!found)
            checked.violations.push({
              field: lookup.field,
              description: `no ${lookup.value.entity} with id ${lookup.value.id}`,
              code: 'LOOKUP_NOT_FOUND',
            });
        }
        if (checked.violations.length > 0) {
          throw invalidArgument(
            Code.InvalidTarget,
            `${input.message} of ${entity.logicalName} has ${checked.violations.length} invalid field(s)`,
            checked.violations,
          );
        }
        if (isCreate) {
          const state = entity.attributes.find((attribute) => attribute.type === 'state');
          const status = entity.attributes.find((attribute) => attribute.type === 'status');
          const owned = entity.attributes.some((attribute) => attribute.type === 'owner');
          row = records.create({
            entity: entity.logicalName,
            id: recordId,
            attributes: Object.fromEntries(Object.entries(target).filter(([, value]) => value !== null)),
            ownerId: owned ? `systemuser:${input.initiatingUserId}` : null,
            stateCode: state ? (state.options?.[0]?.value ?? 0) : null,
            statusCode: status
              ? (status.options?.find((option) => option.state === (state?.options?.[0]?.value ?? 0))?.value ?? null)
              : null,
            createdBy: input.initiatingUserId,
            createdOn: now,
            modifiedBy: input.initiatingUserId,
            modifiedOn: now,
            version: 1,
          });
          await records.save(row);
        } else {
          const attributes = { ...existing!.attributes, ...target };
          for (const [name, value] of Object.entries(target)) if (value === null) delete attributes[name];
          row = await records.save({
            ...existing!,
            attributes,
            modifiedBy: input.initiatingUserId,
            modifiedOn: now,
            version: existing!.version + 1,
          });
        }
        break;
      }
      case SdkMessage.Delete:
        await records.delete({ entity: entity.logicalName, id: recordId });
        row = null;
        break;
      case SdkMessage.Assign: {
        const assignee = input.parameters['assignee'] as { entity?: string; id?: string } | undefined;
        if (!assignee || !['systemuser', 'team'].includes(assignee.entity ?? '') || typeof assignee.id !== 'string' || !assignee.id) {
          throw invalidArgument(Code.InvalidParameters, 'Assign needs the new owner', [
            { field: 'parameters.assignee', description: 'expected {"entity": "systemuser" or "team", "id": "..."}' },
          ]);
        }
        row = await records.save({
          ...existing!,
          ownerId: `${assignee.entity}:${assignee.id}`,
          modifiedBy: input.initiatingUserId,
          modifiedOn: now,
          version: existing!.version + 1,
        });
        break;
      }
      case SdkMessage.SetState: {
        const violations = validateStateChange(entity, input.parameters['state'], input.parameters['status']);
        if (violations.length > 0)
          throw invalidArgument(Code.InvalidParameters, `SetState of ${entity.logicalName} is invalid`, violations);
        const state = input.parameters['state'] as number;
        const statusOption = entity.attributes.find((a) => a.type === 'status')?.options?.find((o) => o.state === state);
        const status =
          typeof input.parameters['status'] === 'number' && input.parameters['status'] !== -1
            ? (input.parameters['status'] as number)
            : (statusOption?.value ?? null);
        row = await records.save({
          ...existing!,
          stateCode: state,
          statusCode: status,
          modifiedBy: input.initiatingUserId,
          modifiedOn: now,
          version: existing!.version + 1,
        });
        break;
      }
      default:
        // A custom message: no main operation of its own; its steps do the work.
        break;
    }

    const post = row && input.message !== SdkMessage.Delete ? recordView(entity, row) : null;
    mainOperation();
    await this.timed('postoperation', () =>
      runStage(resolution.synchronous[2]!.steps, { context, recordAfter: () => post ?? {}, preImage: pre, postImage: post }),
    );

    const eventId = randomUUID();
    const preImages: Record<string, Record<string, unknown>> = {};
    const postImages: Record<string, Record<string, unknown>> = {};
    for (const step of resolution.asynchronous) {
      const images = imagesFor(step, pre, post);
      Object.assign(preImages, images.pre);
      Object.assign(postImages, images.post);
    }
    const event: PipelineEvent = {
      eventId,
      message: input.message,
      entity: entity.logicalName,
      recordId,
      recordVersion: row?.version ?? 0,
      target,
      preImage: pre,
      postImage: post,
      preImages,
      postImages,
      changedAttributes: isCustom ? [] : changedAttributes(pre, post),
      depth: context.depth,
      correlationId: input.correlationId,
      initiatingUserId: input.initiatingUserId,
      origin: input.origin,
      occurredAt: now.toISOString(),
      ...(Object.keys(context.outputParameters).length > 0 ? { parameters: context.outputParameters } : {}),
    };
    await writeToOutbox(manager, [
      {
        topic: Topics.pipelineEvents,
        key: recordKey(entity.logicalName, recordId || 'none'),
        envelope: createEnvelope({
          id: eventId,
          type: PIPELINE_EVENT_TYPE,
          schemaVersion: PIPELINE_EVENT_SCHEMA_VERSION,
          source: SERVICE.name,
          correlationId: input.correlationId,
          depth: context.depth,
          payload: event,
          occurredAt: now,
        }),
      },
    ]);
    this.logger.debug(
      { message: input.message, entity: entity.logicalName, recordId, eventId, correlationId: input.correlationId },
      'executed',
    );
    return {
      id: recordId,
      version: row?.version ?? 0,
      ...(post ? { record: selectColumns(entity, post, input.columns) } : {}),
      output: context.outputParameters,
      eventId,
      replayed: false,
    };
  }

  private fromRaw(raw: Record<string, unknown>): RecordRow {
    return {
      entity: raw['entity'] as string,
      id: raw['id'] as string,
      attributes: raw['attributes'] as Record<string, unknown>,
      ownerId: raw['owner_id'] as string | null,
      stateCode: raw['state_code'] as number | null,
      statusCode: raw['status_code'] as number | null,
      createdBy: raw['created_by'] as string,
      createdOn: raw['created_on'] as Date,
      modifiedBy: raw['modified_by'] as string,
      modifiedOn: raw['modified_on'] as Date,
      version: raw['version'] as number,
    };
  }

  private async retrieve(entity: EntityMetadata, input: ExecuteInput): Promise<ExecuteResult> {
    const row = UUID.test(input.id ?? '')
      ? await this.dataSource.getRepository(RecordRow).findOneBy({ entity: entity.logicalName, id: input.id })
      : null;
    if (!row) throw notFound(Code.RecordNotFound, `no ${entity.logicalName} with id ${input.id ?? ''}`);
    return {
      id: row.id,
      version: row.version,
      record: selectColumns(entity, recordView(entity, row), input.columns),
      output: {},
      replayed: false,
    };
  }

  private async retrieveMultiple(entity: EntityMetadata, input: ExecuteInput): Promise<ExecuteResult> {
    const query = buildRecordQuery(entity, input.parameters as QueryParameters);
    const [countRows, found] = await Promise.all([
      this.dataSource.query(
        `SELECT count(*)::int AS total FROM "gateway"."record" r WHERE ${query.where}`,
        query.params.slice(0, query.whereParamCount),
      ) as Promise<Array<{ total: number }>>,
      this.dataSource.query(
        `SELECT r.* FROM "gateway"."record" r WHERE ${query.where} ORDER BY ${query.orderBy} OFFSET ${query.offset} LIMIT ${query.limit}`,
        query.params,
      ) as Promise<Array<Record<string, unknown>>>,
    ]);
    const rows = found.map((raw) => this.dataSource.getRepository(RecordRow).create(this.fromRaw(raw)));
    const total = countRows[0]?.total ?? 0;
    return {
      id: '',
      version: 0,
      records: rows.map((row) => selectColumns(entity, recordView(entity, row), input.columns)),
      totalCount: total,
      nextPageToken: nextPageToken(query.offset, rows.length, total),
      output: {},
      replayed: false,
    };
  }
}

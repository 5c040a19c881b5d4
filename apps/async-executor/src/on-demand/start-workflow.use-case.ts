/**
 * StartWorkflow: runs a workflow marked `availableOnDemand` on one record, as the calling user
 * (the person's id is the operation's owner and the initiating user of every step). The
 * definition is named by id or unique name and runs its active version; the record is read
 * through the gateway as that person, so an unknown (or unreadable) record is refused. With an
 * idempotency key, a repeat by the same person returns the operation the first call created.
 */
import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status, AsyncOperationType } from '@flowline/contracts';
import { failedPrecondition, FlowlineError, invalidArgument, notFound, RpcCallError, type FieldViolation } from '@flowline/rpc';
import { AsyncOperationRow } from '../operations/async-operation.entity';
import { dependencyTokenOf } from '../operations/dependency-token';
import { OperationEvents } from '../operations/operation-events';
import { READY_CHANNEL } from '../operations/operation-store';
import { DefinitionVersions } from '../definitions/definition-versions';
import { GatewayClient } from '../worker/gateway-client';
import { timeOrderedId } from '@flowline/persistence';

export interface StartWorkflowCommand {
  /** The definition's id or unique name. */
  definition: string;
  entity: string;
  recordId: string;
  inputs?: unknown;
  idempotencyKey?: string;
  /** The calling person. */
  userId: string;
  correlationId?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A stable UUID for (person, definition, key): the event id that makes a repeat create nothing twice. */
function keyedEventId(userId: string, definitionId: string, key: string): string {
  const hex = createHash('sha256').update(`on-demand\u0000${userId}\u0000${definitionId}\u0000${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

@Injectable()
export class StartWorkflow {
  private readonly logger = new Logger('OnDemand');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly versions: DefinitionVersions,
    private readonly gateway: GatewayClient,
    private readonly events: OperationEvents,
  ) {}

  async execute(command: StartWorkflowCommand): Promise<AsyncOperationRow> {
    const violations: FieldViolation[] = [];
    if (!command.definition) violations.push({ field: 'definition', description: 'is required: the definition id or unique name' });
    if (!command.entity) violations.push({ field: 'entity', description: 'is required: the logical name of the record entity' });
    if (!command.recordId) violations.push({ field: 'recordId', description: 'is required: the id of the record to run on' });
    const inputs = command.inputs ?? {};
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs))
      violations.push({ field: 'inputs', description: 'expected a JSON object of input names to values' });
    if (command.idempotencyKey !== undefined && command.idempotencyKey.length > 200)
      violations.push({ field: 'idempotencyKey', description: 'expected at most 200 characters' });
    if (violations.length > 0) throw invalidArgument('START_INVALID', 'cannot start the workflow', violations);

    const active = await this.activeVersion(command.definition);
    const compiled = await this.versions.get(active.definitionId, active.version);
    const header = compiled.definition;
    if (header.category !== 'workflow')
      throw failedPrecondition(
        'NOT_A_WORKFLOW',
        `'${header.uniqueName}' is a ${header.category}, not a workflow: dialogs are started in the session service`,
      );
    if (!header.availableOnDemand)
      throw failedPrecondition(
        'NOT_AVAILABLE_ON_DEMAND',
        `workflow '${header.uniqueName}' is not available on demand: set availableOnDemand: true in its definition and activate it again`,
      );
    if (header.primaryEntity !== command.entity)
      throw failedPrecondition(
        'ENTITY_MISMATCH',
        `workflow '${header.uniqueName}' runs on ${header.primaryEntity} records, not on ${command.entity} (field entity)`,
      );

    const correlationId = command.correlationId || timeOrderedId();
    const found = await this.gateway.execute({
      message: 'Retrieve',
      entity: command.entity,
      recordId: command.recordId,
      target: {},
      parameters: {},
      idempotencyKey: '',
      depth: 1,
      correlationId,
      initiatingUserId: command.userId,
    });
    if (!found.ok) {
      if (found.grpcCode === 5 || found.grpcCode === 3)
        throw notFound('RECORD_NOT_FOUND', `no ${command.entity} record ${command.recordId} (field recordId): ${found.message}`);
      if (found.grpcCode === 7) throw new FlowlineError('PERMISSION_DENIED', 'RECORD_NOT_READABLE', found.message);
      throw new FlowlineError('UNAVAILABLE', 'GATEWAY_UNAVAILABLE', `the gateway could not read the record: ${found.message}; try again`);
    }

    const id = timeOrderedId();
    const eventId = command.idempotencyKey ? keyedEventId(command.userId, active.definitionId, command.idempotencyKey) : timeOrderedId();
    const created = await this.dataSource.transaction(async (manager) => {
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(AsyncOperationRow)
        .values({
          id,
          operationType: AsyncOperationType.Workflow,
          name: header.uniqueName,
          processKey: active.definitionId,
          definitionId: active.definitionId,
          definitionVersion: active.version,
          stepRegistrationId: null,
          state: State.Ready,
          status: Status.WaitingForResources,
          eventId,
          correlationId,
          depth: 1,
          primaryEntity: command.entity,
          regardingId: command.recordId,
          owner: command.userId,
          input: {
            message: 'StartWorkflow',
            entity: command.entity,
            recordId: command.recordId,
            target: null,
            preImage: null,
            postImage: found.record,
            changedAttributes: [],
            initiatingUserId: command.userId,
            inputs,
            occurredAt: new Date().toISOString(),
            onDemand: true,
          },
          instanceState: null,
          dependencyToken: dependencyTokenOf(compiled, command.entity, command.recordId),
          postponeUntil: new Date(),
          traceContext: {},
        } as never)
        .orIgnore()
        .returning(['id'])
        .execute();
      const isNew = (inserted.raw as unknown[]).length > 0;
      if (isNew) {
        await this.events.recordMany(manager, [id], correlationId);
        await manager.query(`SELECT pg_notify($1, '')`, [READY_CHANNEL]);
      }
      return isNew;
    });
    const operation = await this.dataSource.getRepository(AsyncOperationRow).findOneByOrFail({ eventId, processKey: active.definitionId });
    this.logger.log(
      {
        operationId: operation.id,
        definition: header.uniqueName,
        entity: command.entity,
        recordId: command.recordId,
        userId: command.userId,
        repeat: !created,
      },
      created
        ? `${command.userId} started ${header.uniqueName} on ${command.entity} ${command.recordId}`
        : `${command.userId} repeated a start of ${header.uniqueName} (same idempotency key): the first operation is returned`,
    );
    return operation;
  }

  private async activeVersion(definition: string): Promise<{ definitionId: string; version: number }> {
    try {
      return await this.versions.active(definition, UUID.test(definition));
    } catch (error) {
      if (error instanceof RpcCallError && (error.grpcCode === 5 || error.grpcCode === 3))
        throw notFound('DEFINITION_NOT_FOUND', `no workflow '${definition}' (field definition): ${error.message}`);
      if (error instanceof RpcCallError && error.grpcCode === 9)
        throw failedPrecondition(
          'DEFINITION_NOT_ACTIVE',
          `workflow '${definition}' has no active version: activate it first (field definition)`,
        );
      throw error;
    }
  }
}

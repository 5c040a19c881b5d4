/** Every state change of an operation goes to flowline.async-operations.v1 through the outbox. */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Topics } from '@flowline/contracts';
import { outboxHeaders, outboxInsertSql, outboxNotifySql, sqlLiteral, wakeRelayAfterCommit } from '@flowline/messaging';
import { SERVICE } from '../config';

export const ASYNC_OPERATION_CHANGED = 'async-operation.changed';
const OPERATIONS_SCHEMA = SERVICE.schema;

@Injectable()
export class OperationEvents {
  /** One change message per operation (one statement); the correlation id is the operation's own unless given. */
  async recordMany(manager: EntityManager, ids: string[], correlationId?: string): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `WITH written AS (${this.insertSql(`(SELECT * FROM "${OPERATIONS_SCHEMA}"."async_operation" WHERE "id" = ANY($1::uuid[]))`, correlationId)})
       SELECT ${this.notifySql('written')} AS "notified"`,
      [ids],
    );
    this.wakeRelay(manager);
  }

  /**
   * The outbox insert (a CTE body) of the change messages of the operations `from` yields (a
   * table expression with the operation's columns, such as an UPDATE's RETURNING o.*): the
   * change and its messages in one statement. The envelope is the one createEnvelope builds.
   */
  insertSql(from: string, correlationId?: string): string {
    const headers = sqlLiteral(JSON.stringify(outboxHeaders(ASYNC_OPERATION_CHANGED)));
    const correlation = correlationId ? `${sqlLiteral(correlationId)}` : 'c."correlation_id"';
    return outboxInsertSql(
      OPERATIONS_SCHEMA,
      `SELECT c."change_id" AS "event_id", ${sqlLiteral(Topics.asyncOperations)} AS "topic", c."id"::text AS "message_key",
              jsonb_build_object(
                'id', c."change_id", 'type', ${sqlLiteral(ASYNC_OPERATION_CHANGED)}, 'schemaVersion', 1,
                'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'source', ${sqlLiteral(SERVICE.name)}, 'correlationId', ${correlation}, 'depth', c."depth",
                'payload', jsonb_build_object(
                  'operationId', c."id", 'name', c."name", 'operationType', c."operation_type", 'state', c."state", 'status', c."status",
                  'definitionId', c."definition_id", 'definitionVersion', c."definition_version", 'primaryEntity', c."primary_entity",
                  'regardingId', c."regarding_id", 'errorCode', c."error_code", 'friendlyMessage', c."friendly_message")) AS "envelope",
              ${headers}::jsonb AS "headers", c."sequence" AS "n"
         FROM (SELECT r.*, gen_random_uuid() AS "change_id" FROM ${from} AS r) AS c`,
    );
  }

  /**
   * The scalar subquery that wakes a relay in another process once `written` (the insert's CTE)
   * has rows; a statement using it calls `wakeRelay` when done, for a relay in this process.
   */
  notifySql(written: string): string {
    return outboxNotifySql(OPERATIONS_SCHEMA, written);
  }

  /** Wakes this process's relay once what `manager` wrote commits (at once for an autocommitted statement). */
  wakeRelay(manager?: EntityManager): void {
    wakeRelayAfterCommit(OPERATIONS_SCHEMA, manager);
  }
}

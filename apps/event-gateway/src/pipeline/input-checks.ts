/**
 * The checks every Execute input passes before the pipeline reads or writes anything, whatever
 * brought it (REST, gRPC, a domain event, a real-time workflow's record step): no text holds a
 * NUL character or a lone UTF-16 surrogate (no record, outbox row or idempotency answer could
 * store it), and every requested column is one the entity's records have. Each refusal is an
 * INVALID_ARGUMENT naming the field, such as `target.name` or `columns[0]`.
 */
import type { EntityMetadata } from '@flowline/contracts';
import { invalidArgument, type FieldViolation } from '@flowline/rpc';
import { refuseBadText } from '@flowline/service-kit';
import { nearestNames } from '../records/attribute-validation';
import type { ExecuteInput } from './pipeline.types';

/** Columns of the record view that are not attributes in the metadata of every entity. */
const VIEW_COLUMNS = ['ownerid', 'statecode', 'statuscode', 'createdon', 'createdby', 'modifiedon', 'modifiedby', 'versionnumber'];

/** Refuses any unstorable text of the input, at its field. */
export function refuseUnstorableInput(input: ExecuteInput): void {
  refuseBadText({
    message: input.message,
    entity: input.entity,
    id: input.id,
    target: input.target,
    operations: input.operations,
    parameters: input.parameters,
    columns: input.columns,
    idempotencyKey: input.idempotencyKey,
    correlationId: input.correlationId,
    initiatingUserId: input.initiatingUserId,
  });
}

/** The columns a caller may ask for: the record view's names. */
export function columnNames(entity: EntityMetadata): string[] {
  return [...new Set([entity.primaryIdAttribute, ...entity.attributes.map((attribute) => attribute.logicalName), ...VIEW_COLUMNS])];
}

/** Refuses columns the entity's records do not have (they would be left out without a word). */
export function refuseUnknownColumns(entity: EntityMetadata, columns: readonly string[]): void {
  if (columns.length === 0) return;
  const known = columnNames(entity);
  const violations: FieldViolation[] = [];
  columns.forEach((column, index) => {
    if (known.includes(column)) return;
    const near = nearestNames(column, known);
    violations.push({
      field: `columns[${index}]`,
      description: `entity '${entity.logicalName}' has no column '${column}'${near.length > 0 ? `; did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : ''}`,
      code: 'UNKNOWN_COLUMN',
    });
  });
  if (violations.length > 0)
    throw invalidArgument(
      'UNKNOWN_COLUMN',
      `${violations.length} requested column(s) unknown: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`,
      violations,
    );
}

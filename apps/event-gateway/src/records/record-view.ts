/**
 * The public form of a record, as callers, steps, images and events see it: the id under
 * the entity's primary id attribute, its attributes, owner, state and status, and the audit
 * fields maintained by Flowline.
 */
import type { EntityMetadata } from '@flowline/contracts';
import type { RecordRow } from './record.entity';

export type RecordView = Record<string, unknown>;

export function ownerReference(ownerId: string | null): { entity: string; id: string } | null {
  if (!ownerId) return null;
  const separator = ownerId.indexOf(':');
  return { entity: ownerId.slice(0, separator), id: ownerId.slice(separator + 1) };
}

export function recordView(entity: EntityMetadata, row: RecordRow): RecordView {
  const view: RecordView = { [entity.primaryIdAttribute]: row.id, ...row.attributes };
  if (entity.attributes.some((attribute) => attribute.type === 'owner')) view['ownerid'] = ownerReference(row.ownerId);
  if (row.stateCode !== null) view['statecode'] = row.stateCode;
  if (row.statusCode !== null) view['statuscode'] = row.statusCode;
  view['createdon'] = row.createdOn.toISOString();
  view['createdby'] = row.createdBy;
  view['modifiedon'] = row.modifiedOn.toISOString();
  view['modifiedby'] = row.modifiedBy;
  view['versionnumber'] = row.version;
  return view;
}

/** Only the requested columns (the primary id always). */
export function selectColumns(entity: EntityMetadata, view: RecordView, columns: readonly string[]): RecordView {
  if (columns.length === 0) return view;
  return Object.fromEntries(Object.entries(view).filter(([name]) => name === entity.primaryIdAttribute || columns.includes(name)));
}

/** Attributes whose value differs between two views (audit fields excluded). */
export function changedAttributes(before: RecordView | null, after: RecordView | null): string[] {
  const audit = new Set(['createdon', 'createdby', 'modifiedon', 'modifiedby', 'versionnumber']);
  const names = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...names]
    .filter((name) => !audit.has(name) && JSON.stringify(before?.[name] ?? null) !== JSON.stringify(after?.[name] ?? null))
    .sort();
}

/**
 * Checks the attributes a caller wants to write against the entity's metadata: unknown
 * attribute (with the nearest names), wrong type, too long, out of range, invalid option,
 * status that does not belong to the state. Returns every violation; writes nothing.
 * Lookups are checked for shape here and for existence by the caller (it needs the database).
 */
import { DEFAULT_MAX_LENGTH, type AttributeMetadata, type EntityMetadata } from '@flowline/contracts';
import type { FieldViolation } from '@flowline/rpc';

export interface LookupValue {
  entity: string;
  id: string;
}

export interface ValidatedTarget {
  violations: FieldViolation[];
  /** Lookups to check for existence: field path, target entity and id. */
  lookups: Array<{ field: string; value: LookupValue }>;
}

/** Attributes the platform maintains itself: callers cannot write them directly. */
export const SYSTEM_ATTRIBUTES = new Set(['createdon', 'createdby', 'modifiedon', 'modifiedby', 'versionnumber']);

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function nearestNames(name: string, candidates: readonly string[], max = 3): string[] {
  return candidates
    .map((candidate) => ({ candidate, score: distance(name.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ candidate, score }) => score <= Math.max(2, Math.floor(candidate.length / 3)))
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, max)
    .map(({ candidate }) => candidate);
}

const typeName = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

function checkValue(attribute: AttributeMetadata, value: unknown, field: string, result: ValidatedTarget): void {
  const fail = (description: string, code: string): void => {
    result.violations.push({ field, description, code });
  };
  if (value === null) {
    if (attribute.required) fail(`'${attribute.logicalName}' is required and cannot be cleared`, 'REQUIRED');
    return;
  }
  switch (attribute.type) {
    case 'string':
    case 'memo': {
      if (typeof value !== 'string') return fail(`expected text, got ${typeName(value)}`, 'TYPE');
      const max = attribute.maxLength ?? DEFAULT_MAX_LENGTH[attribute.type];
      if (value.length > max) fail(`is ${value.length} characters long; at most ${max} are allowed`, 'TOO_LONG');
      if (attribute.required && value.trim() === '') fail(`'${attribute.logicalName}' is required and cannot be empty`, 'REQUIRED');
      return;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value))
        return fail(`expected a whole number, got ${typeName(value) === 'number' ? String(value) : typeName(value)}`, 'TYPE');
      break;
    case 'decimal':
    case 'money':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`expected a number, got ${typeName(value)}`, 'TYPE');
      if (attribute.precision !== undefined && Math.round(value * 10 ** attribute.precision) / 10 ** attribute.precision !== value) {
        fail(`has more than ${attribute.precision} decimal places`, 'PRECISION');
      }
      break;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`expected true or false, got ${typeName(value)}`, 'TYPE');
      return;
    case 'datetime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
        fail(`expected an ISO 8601 date or date-time such as 2026-11-25T10:00:00Z, got ${JSON.stringify(value)}`, 'TYPE');
      }
      return;
    case 'optionset':
    case 'state':
    case 'status': {
      const allowed = (attribute.options ?? []).map((option) => option.value);
      if (typeof value !== 'number' || !allowed.includes(value)) {
        fail(
          `expected one of ${(attribute.options ?? []).map((o) => `${o.value} (${o.label})`).join(', ')}, got ${JSON.stringify(value)}`,
          'OPTION',
        );
      }
      return;
    }
    case 'lookup':
    case 'owner': {
      const lookup = value as Partial<LookupValue>;
      if (typeof value !== 'object' || Array.isArray(value) || typeof lookup.entity !== 'string' || typeof lookup.id !== 'string') {
        return fail('expected a reference such as {"entity": "account", "id": "..."}', 'TYPE');
      }
      if (!(attribute.targets ?? []).includes(lookup.entity)) {
        return fail(`may point to ${(attribute.targets ?? []).join(' or ')}, not ${lookup.entity}`, 'LOOKUP_TARGET');
      }
      result.lookups.push({ field, value: { entity: lookup.entity, id: lookup.id } });
      return;
    }
    case 'uniqueidentifier':
      if (typeof value !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
        fail('expected a UUID', 'TYPE');
      return;
  }
  const number = value as number;
  if (attribute.minValue !== undefined && number < attribute.minValue) fail(`is ${number}; the minimum is ${attribute.minValue}`, 'RANGE');
  if (attribute.maxValue !== undefined && number > attribute.maxValue) fail(`is ${number}; the maximum is ${attribute.maxValue}`, 'RANGE');
}

/**
 * @param creating on Create, required attributes must be present.
 */
export function validateTarget(
  entity: EntityMetadata,
  target: Record<string, unknown>,
  options: { creating: boolean; prefix?: string },
): ValidatedTarget {
  const result: ValidatedTarget = { violations: [], lookups: [] };
  const prefix = options.prefix ?? 'target';
  const byName = new Map(entity.attributes.map((attribute) => [attribute.logicalName, attribute]));
  for (const [name, value] of Object.entries(target)) {
    const field = `${prefix}.${name}`;
    if (SYSTEM_ATTRIBUTES.has(name)) {
      result.violations.push({ field, description: `'${name}' is maintained by Flowline and cannot be written`, code: 'READ_ONLY' });
      continue;
    }
    const attribute = byName.get(name);
    if (!attribute) {
      const near = nearestNames(name, [...byName.keys()]);
      result.violations.push({
        field,
        description: `entity '${entity.logicalName}' has no attribute '${name}'${near.length > 0 ? `; did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : ''}`,
        code: 'UNKNOWN_ATTRIBUTE',
      });
      continue;
    }
    if (attribute.type === 'uniqueidentifier' && name === entity.primaryIdAttribute) {
      result.violations.push({ field, description: `the record id is given as the id of the call, not as '${name}'`, code: 'READ_ONLY' });
      continue;
    }
    if (attribute.type === 'state' || attribute.type === 'status') {
      result.violations.push({ field, description: `'${name}' changes through the SetState message`, code: 'USE_SETSTATE' });
      continue;
    }
    checkValue(attribute, value, field, result);
  }
  if (options.creating) {
    for (const attribute of entity.attributes) {
      if (attribute.required && attribute.type !== 'uniqueidentifier' && !(attribute.logicalName in target)) {
        result.violations.push({
          field: `${prefix}.${attribute.logicalName}`,
          description: `'${attribute.logicalName}' (${attribute.displayName}) is required`,
          code: 'REQUIRED',
        });
      }
    }
  }
  return result;
}

/** Checks a state/status pair for SetState. */
export function validateStateChange(entity: EntityMetadata, state: unknown, status: unknown): FieldViolation[] {
  const stateAttribute = entity.attributes.find((attribute) => attribute.type === 'state');
  const statusAttribute = entity.attributes.find((attribute) => attribute.type === 'status');
  if (!stateAttribute || !statusAttribute)
    return [{ field: 'parameters.state', description: `entity '${entity.logicalName}' has no state and status`, code: 'NO_STATE' }];
  const states = stateAttribute.options ?? [];
  if (typeof state !== 'number' || !states.some((option) => option.value === state)) {
    return [
      {
        field: 'parameters.state',
        description: `expected one of ${states.map((o) => `${o.value} (${o.label})`).join(', ')}, got ${JSON.stringify(state)}`,
        code: 'OPTION',
      },
    ];
  }
  const statuses = (statusAttribute.options ?? []).filter((option) => option.state === state);
  if (status === undefined || status === -1) return [];
  if (typeof status !== 'number' || !statuses.some((option) => option.value === status)) {
    return [
      {
        field: 'parameters.status',
        description: `state ${state} allows status ${statuses.map((o) => `${o.value} (${o.label})`).join(', ')}, got ${JSON.stringify(status)}`,
        code: 'OPTION',
      },
    ];
  }
  return [];
}

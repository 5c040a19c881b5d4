/**
 * RetrieveMultiple: conditions, ordering and paging over one entity's records, as
 * parameterised SQL over the JSONB attributes. Attribute names are checked against the
 * metadata before they reach the SQL, values are always bound parameters.
 */
import type { AttributeMetadata, EntityMetadata } from '@flowline/contracts';
import { invalidArgument, type FieldViolation } from '@flowline/rpc';

export type ConditionOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'like' | 'null' | 'notnull' | 'in';

export interface QueryParameters {
  conditions?: Array<{ attribute: string; operator: ConditionOperator; value?: unknown }>;
  orderBy?: Array<{ attribute: string; descending?: boolean }>;
  pageSize?: number;
  pageToken?: string;
}

const OPERATORS: ConditionOperator[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'like', 'null', 'notnull', 'in'];
const COLUMN_ATTRIBUTES: Record<string, string> = {
  statecode: 'r."state_code"',
  statuscode: 'r."status_code"',
  createdon: 'r."created_on"',
  modifiedon: 'r."modified_on"',
};

export interface BuiltQuery {
  where: string;
  orderBy: string;
  params: unknown[];
  /** How many of `params` the WHERE clause uses (the rest belong to ORDER BY). */
  whereParamCount: number;
  offset: number;
  limit: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REFERENCE_OPERATORS: ConditionOperator[] = ['eq', 'ne', 'in', 'null', 'notnull'];

const COMPARING = new Set<ConditionOperator>(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'in']);
const KIND_NAMES: Record<string, string> = {
  string: 'text',
  memo: 'text',
  integer: 'numbers',
  decimal: 'numbers',
  money: 'numbers',
  optionset: 'option values (numbers)',
  state: 'state values (numbers)',
  status: 'status values (numbers)',
  boolean: 'true or false',
  datetime: 'dates (ISO 8601 text)',
};

/** The kinds of the attributes kept in columns, for entities whose metadata does not list them. */
const COLUMN_KINDS: Record<string, string> = { statecode: 'state', statuscode: 'status', createdon: 'datetime', modifiedon: 'datetime' };

const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;
const NUMERIC_KINDS = new Set(['integer', 'decimal', 'money', 'optionset', 'state', 'status']);

/** A value given as text (a query string) read as the attribute's type: `5000` for money, `true` for a boolean. */
function coerced(kind: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (NUMERIC_KINDS.has(kind) && NUMBER_TEXT.test(value)) return Number(value);
  if (kind === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** Whether a value of this type can equal or order against an attribute of this kind (a mismatch would match nothing). */
function comparable(kind: string, value: unknown): boolean {
  if (value === null) return true;
  switch (kind) {
    case 'string':
    case 'memo':
      return typeof value === 'string';
    case 'integer':
    case 'decimal':
    case 'money':
    case 'optionset':
    case 'state':
    case 'status':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    default:
      return true;
  }
}

/** Lookups, the owner and the record's own id: compared by record id, given plain or as a reference. */
function isReference(entity: EntityMetadata, attribute: AttributeMetadata): boolean {
  return attribute.type === 'lookup' || attribute.type === 'owner' || attribute.logicalName === entity.primaryIdAttribute;
}

type Condition = NonNullable<QueryParameters['conditions']>[number];

/**
 * A condition on a reference attribute. A lookup is stored as `{"entity", "id"}`: a plain id
 * matches a reference to that record of any of the lookup's entities, a reference matches
 * exactly. A value that is neither is refused, never compared into an empty result.
 */
function referenceClause(
  entity: EntityMetadata,
  attribute: AttributeMetadata,
  condition: Condition,
  field: string,
  bind: (value: unknown) => string,
  violations: FieldViolation[],
): string | undefined {
  const name = attribute.logicalName;
  const isOwner = attribute.type === 'owner';
  const isOwnId = name === entity.primaryIdAttribute;
  if (!REFERENCE_OPERATORS.includes(condition.operator)) {
    violations.push({
      field: `${field}.operator`,
      description: `'${name}' holds a record reference: use ${REFERENCE_OPERATORS.join(', ')}, not ${condition.operator}`,
      code: 'OPERATOR',
    });
    return undefined;
  }
  if (condition.operator === 'null' || condition.operator === 'notnull') {
    const negate = condition.operator === 'notnull' ? 'NOT ' : '';
    if (isOwnId) return condition.operator === 'null' ? 'false' : 'true';
    if (isOwner) return `r."owner_id" IS ${negate}NULL`;
    return `${negate}(r."attributes"->${bind(name)} IS NULL OR r."attributes"->${bind(name)} = 'null'::jsonb)`;
  }
  const targets = isOwnId ? [entity.logicalName] : (attribute.targets ?? []);
  const expected = `expected a record id${isOwner ? '' : ' (a UUID)'} or a reference such as {"entity": "${targets[0] ?? 'account'}", "id": "..."}`;
  const values = condition.operator === 'in' ? condition.value : [condition.value];
  if (!Array.isArray(values)) {
    violations.push({ field: `${field}.value`, description: 'expected a list of values for in', code: 'VALUE' });
    return undefined;
  }
  const matches: string[] = [];
  for (const [position, value] of values.entries()) {
    const at = condition.operator === 'in' ? `${field}.value[${position}]` : `${field}.value`;
    const reference = typeof value === 'string' ? { id: value } : (value as { entity?: unknown; id?: unknown } | null);
    const id = reference && typeof reference === 'object' ? reference.id : undefined;
    const target = reference && typeof reference === 'object' ? reference.entity : undefined;
    if (typeof id !== 'string' || (!isOwner && !UUID.test(id)) || id === '') {
      violations.push({ field: at, description: `${expected}, got ${JSON.stringify(value ?? null)}`, code: 'REFERENCE' });
      continue;
    }
    if (target !== undefined && (typeof target !== 'string' || !targets.includes(target))) {
      violations.push({
        field: at,
        description: `'${name}' may point to ${targets.join(' or ')}, not ${JSON.stringify(target)}`,
        code: 'LOOKUP_TARGET',
      });
      continue;
    }
    if (isOwnId) matches.push(`r."id" = ${bind(id)}::uuid`);
    else if (isOwner)
      matches.push(target === undefined ? `split_part(r."owner_id", ':', 2) = ${bind(id)}` : `r."owner_id" = ${bind(`${target}:${id}`)}`);
    // Uses IDX_record_attributes (GIN jsonb_path_ops): containment of the id alone matches a reference of any entity.
    else
      matches.push(`r."attributes" @> ${bind(JSON.stringify({ [name]: target === undefined ? { id } : { entity: target, id } }))}::jsonb`);
  }
  if (matches.length === 0) return condition.operator === 'in' && values.length === 0 ? 'false' : undefined;
  const any = matches.length === 1 ? matches[0]! : `(${matches.join(' OR ')})`;
  return condition.operator === 'ne' ? (isOwnId ? `NOT ${any}` : `NOT COALESCE(${any}, false)`) : any;
}

const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The shape of the parameters as they came (JSON from any caller): lists where lists belong,
 * objects in them, a text page token. What is wrong is refused at its field before anything
 * reads it.
 */
function shapeViolations(parameters: Record<string, unknown>): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const list = (name: 'conditions' | 'orderBy', example: string) => {
    const value = parameters[name];
    if (value === undefined || value === null) return;
    if (!Array.isArray(value)) {
      violations.push({
        field: `parameters.${name}`,
        description: `expected a list such as ${example}, got ${kindOf(value)}`,
        code: 'SHAPE',
      });
      return;
    }
    value.forEach((item, index) => {
      if (!isObject(item))
        violations.push({
          field: `parameters.${name}[${index}]`,
          description: `expected an object such as ${example.slice(1, -1)}, got ${kindOf(item)}`,
          code: 'SHAPE',
        });
    });
  };
  list('conditions', '[{"attribute": "name", "operator": "eq", "value": "Contoso"}]');
  list('orderBy', '[{"attribute": "name", "descending": false}]');
  const token = parameters['pageToken'];
  if (token !== undefined && token !== null && typeof token !== 'string')
    violations.push({
      field: 'parameters.pageToken',
      description: `expected the text of a nextPageToken, got ${kindOf(token)}`,
      code: 'PAGE_TOKEN',
    });
  return violations;
}

export function buildRecordQuery(entity: EntityMetadata, given: QueryParameters): BuiltQuery {
  const shape = shapeViolations(isObject(given) ? given : {});
  if (shape.length > 0) throw invalidArgument('QUERY_INVALID', `the query has ${shape.length} problem(s)`, shape);
  const parameters: QueryParameters = isObject(given) ? given : {};
  const violations: FieldViolation[] = [];
  const known = new Set([...entity.attributes.map((a) => a.logicalName), ...Object.keys(COLUMN_ATTRIBUTES)]);
  const params: unknown[] = [entity.logicalName];
  const clauses = ['r."entity" = $1'];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const expression = (attribute: string, asText: boolean) =>
    COLUMN_ATTRIBUTES[attribute] ?? (asText ? `(r."attributes"->>${bind(attribute)})` : `(r."attributes"->${bind(attribute)})`);

  (parameters.conditions ?? []).forEach((given, index) => {
    // A copy: the caller's parameters stay as they were given.
    const condition = { ...given };
    const field = `parameters.conditions[${index}]`;
    if (!known.has(condition.attribute))
      return violations.push({
        field: `${field}.attribute`,
        description: `entity '${entity.logicalName}' has no attribute '${condition.attribute}'`,
        code: 'UNKNOWN_ATTRIBUTE',
      });
    if (!OPERATORS.includes(condition.operator))
      return violations.push({
        field: `${field}.operator`,
        description: `expected one of ${OPERATORS.join(', ')}, got '${String(condition.operator)}'`,
        code: 'OPERATOR',
      });
    const metadata = entity.attributes.find((attribute) => attribute.logicalName === condition.attribute);
    if (metadata && isReference(entity, metadata)) {
      const clause = referenceClause(entity, metadata, condition, field, bind, violations);
      if (clause) clauses.push(clause);
      return undefined;
    }
    const kind = metadata?.type ?? COLUMN_KINDS[condition.attribute];
    if (kind && COMPARING.has(condition.operator)) {
      condition.value = Array.isArray(condition.value)
        ? condition.value.map((value) => coerced(kind, value))
        : coerced(kind, condition.value);
    }
    const compared = COMPARING.has(condition.operator)
      ? condition.operator === 'in' && Array.isArray(condition.value)
        ? condition.value
        : [condition.value]
      : [];
    const wrong = kind ? compared.findIndex((value) => !comparable(kind, value)) : -1;
    if (wrong >= 0) {
      const at = condition.operator === 'in' ? `${field}.value[${wrong}]` : `${field}.value`;
      return violations.push({
        field: at,
        description: `'${condition.attribute}' holds ${KIND_NAMES[kind!] ?? kind}: ${JSON.stringify(compared[wrong] ?? null)} can never match`,
        code: 'VALUE',
      });
    }
    const column = COLUMN_ATTRIBUTES[condition.attribute];
    switch (condition.operator) {
      case 'eq':
        // Uses IDX_record_attributes (GIN jsonb_path_ops) through @> containment.
        clauses.push(
          column
            ? `${column} = ${bind(condition.value)}`
            : `r."attributes" @> ${bind(JSON.stringify({ [condition.attribute]: condition.value }))}::jsonb`,
        );
        break;
      case 'ne':
        clauses.push(
          column
            ? `${column} IS DISTINCT FROM ${bind(condition.value)}`
            : `NOT (r."attributes" @> ${bind(JSON.stringify({ [condition.attribute]: condition.value }))}::jsonb)`,
        );
        break;
      case 'null':
        clauses.push(`${expression(condition.attribute, false)} IS NULL OR ${expression(condition.attribute, false)} = 'null'::jsonb`);
        break;
      case 'notnull':
        clauses.push(
          `${expression(condition.attribute, false)} IS NOT NULL AND ${expression(condition.attribute, false)} <> 'null'::jsonb`,
        );
        break;
      case 'like':
        clauses.push(`${expression(condition.attribute, true)} ILIKE ${bind(String(condition.value ?? ''))}`);
        break;
      case 'in':
        if (!Array.isArray(condition.value))
          return violations.push({ field: `${field}.value`, description: 'expected a list of values for in', code: 'VALUE' });
        clauses.push(
          `(${condition.value.map((value) => (column ? `${column} = ${bind(value)}` : `r."attributes" @> ${bind(JSON.stringify({ [condition.attribute]: value }))}::jsonb`)).join(' OR ') || 'false'})`,
        );
        break;
      default: {
        const sql = { gt: '>', ge: '>=', lt: '<', le: '<=' }[condition.operator];
        // jsonb compares numbers as numbers and strings as strings.
        clauses.push(
          column
            ? `${column} ${sql} ${bind(condition.value)}`
            : `${expression(condition.attribute, false)} ${sql} ${bind(JSON.stringify(condition.value))}::jsonb`,
        );
      }
    }
    return undefined;
  });
  const whereParamCount = params.length;
  const order = (parameters.orderBy ?? []).map((item, index) => {
    if (!known.has(item.attribute)) {
      violations.push({
        field: `parameters.orderBy[${index}].attribute`,
        description: `entity '${entity.logicalName}' has no attribute '${item.attribute}'`,
        code: 'UNKNOWN_ATTRIBUTE',
      });
      return '';
    }
    return `${expression(item.attribute, false)} ${item.descending ? 'DESC' : 'ASC'} NULLS LAST`;
  });
  const pageSize = parameters.pageSize ?? 50;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 5000) {
    violations.push({ field: 'parameters.pageSize', description: `expected 1 to 5000, got ${String(pageSize)}`, code: 'PAGE_SIZE' });
  }
  const offset = parameters.pageToken ? Number(Buffer.from(parameters.pageToken, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0)
    violations.push({ field: 'parameters.pageToken', description: 'not a token this service returned', code: 'PAGE_TOKEN' });
  if (violations.length > 0) throw invalidArgument('QUERY_INVALID', `the query has ${violations.length} problem(s)`, violations);
  return {
    where: clauses.map((clause) => `(${clause})`).join(' AND '),
    orderBy: [...order.filter(Boolean), 'r."id" ASC'].join(', '),
    params,
    whereParamCount,
    offset,
    limit: pageSize,
  };
}

export function nextPageToken(offset: number, returned: number, total: number): string {
  return offset + returned < total ? Buffer.from(String(offset + returned), 'utf8').toString('base64url') : '';
}

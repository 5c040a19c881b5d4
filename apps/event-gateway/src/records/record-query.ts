/**
 * RetrieveMultiple: conditions, ordering and paging over one entity's records, as
 * parameterised SQL over the JSONB attributes. Attribute names are checked against the
 * metadata before they reach the SQL, values are always bound parameters.
 */
import type { EntityMetadata } from '@flowline/contracts';
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

export function buildRecordQuery(entity: EntityMetadata, parameters: QueryParameters): BuiltQuery {
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

  (parameters.conditions ?? []).forEach((condition, index) => {
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

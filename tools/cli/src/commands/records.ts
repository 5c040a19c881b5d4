/** `flowline records`: business data records through the gateway's Execute (the whole pipeline runs). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { GatewayProto } from '@flowline/rpc';
import { withContext, type Context } from '../context';
import { usageError } from '../errors';

/** A JSON object from an argument: inline JSON, or @file. */
function jsonObject(text: string, what: string): Record<string, unknown> {
  let source = text;
  if (text.startsWith('@')) {
    try {
      source = readFileSync(text.slice(1), 'utf8');
    } catch {
      throw usageError(`${what}: cannot read ${text.slice(1)}`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    throw usageError(`${what} expected a JSON object (or @file), got: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usageError(`${what} expected a JSON object, e.g. '{"name": "Contoso"}'`);
  return value as Record<string, unknown>;
}

const request = (fields: Partial<GatewayProto.ExecuteRequest>): GatewayProto.ExecuteRequest => ({
  message: '', entity: '', id: '', targetJson: '', parametersJson: '', expectedVersion: 0, idempotencyKey: '', depth: 0, correlationId: '', columns: [], operationsJson: '',
  ...fields,
});

function printRecord(context: Context, response: GatewayProto.ExecuteResponse): void {
  const record = response.recordJson ? (JSON.parse(response.recordJson) as Record<string, unknown>) : {};
  context.out.result({ id: response.id, version: response.version, record, eventId: response.eventId, replayed: response.replayed }, () => {
    context.out.fields({ id: response.id, version: response.version, ...record });
  });
}

async function get(context: Context, entity: string, id: string, options: { columns?: string }): Promise<void> {
  const response = await context.conn.grpc('execute').execute(request({ message: 'Retrieve', entity, id, columns: options.columns ? options.columns.split(',') : [] }));
  printRecord(context, response);
}

async function create(context: Context, entity: string, attributes: string, options: { id?: string; idempotencyKey?: string }): Promise<void> {
  const response = await context.conn.grpc('execute').execute(
    request({ message: 'Create', entity, id: options.id ?? '', targetJson: JSON.stringify(jsonObject(attributes, 'attributes')), idempotencyKey: options.idempotencyKey ?? '' }),
  );
  printRecord(context, response);
}

async function update(context: Context, entity: string, id: string, attributes: string, options: { ifVersion?: string; operations?: string; idempotencyKey?: string }): Promise<void> {
  const response = await context.conn.grpc('execute').execute(
    request({
      message: 'Update', entity, id,
      targetJson: JSON.stringify(jsonObject(attributes, 'attributes')),
      operationsJson: options.operations ? JSON.stringify(jsonObject(options.operations, '--operations')) : '',
      expectedVersion: Number(options.ifVersion ?? 0),
      idempotencyKey: options.idempotencyKey ?? '',
    }),
  );
  printRecord(context, response);
}

const OPERATORS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'like', 'null', 'notnull', 'in'];

/** `attr=value`, `attr>=value`, `attr~pattern` (like), `attr!=value`; values are JSON when they parse, text otherwise. */
function condition(text: string): { attribute: string; operator: string; value?: unknown } {
  const match = /^([a-z_][a-z0-9_]*)\s*(>=|<=|!=|=|>|<|~)\s*(.*)$/i.exec(text) ?? /^([a-z_][a-z0-9_]*):([a-z]+)(?::(.*))?$/i.exec(text);
  if (!match) throw usageError(`--where expected attr=value, attr>=value, attr~pattern or attr:operator[:value], got '${text}'`);
  const symbols: Record<string, string> = { '=': 'eq', '!=': 'ne', '>': 'gt', '>=': 'ge', '<': 'lt', '<=': 'le', '~': 'like' };
  const operator = symbols[match[2]!] ?? match[2]!.toLowerCase();
  if (!OPERATORS.includes(operator)) throw usageError(`--where operator expected one of ${OPERATORS.join(', ')}, got '${match[2]}'`);
  const raw = match[3];
  if (raw === undefined || operator === 'null' || operator === 'notnull') return { attribute: match[1]!, operator };
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // plain text
  }
  return { attribute: match[1]!, operator, value };
}

/** 'creditlimit desc, name' -> [{attribute: 'creditlimit', descending: true}, {attribute: 'name'}]. */
function orderBy(text: string): Array<{ attribute: string; descending: boolean }> {
  return text.split(',').map((part) => {
    const [attribute, direction = 'asc'] = part.trim().split(/\s+/);
    if (!attribute || !/^(asc|desc)$/i.test(direction)) throw usageError(`--order-by expected 'attribute [asc|desc], ...', got '${text}'`);
    return { attribute, descending: direction.toLowerCase() === 'desc' };
  });
}

async function query(context: Context, entity: string, options: { where?: string[]; orderBy?: string; pageSize: string; pageToken?: string; columns?: string }): Promise<void> {
  const response = await context.conn.grpc('execute').execute(
    request({
      message: 'RetrieveMultiple', entity,
      parametersJson: JSON.stringify({
        conditions: (options.where ?? []).map(condition),
        ...(options.orderBy ? { orderBy: orderBy(options.orderBy) } : {}),
        pageSize: Number(options.pageSize),
        ...(options.pageToken ? { pageToken: options.pageToken } : {}),
      }),
      columns: options.columns ? options.columns.split(',') : [],
    }),
  );
  const records = JSON.parse(response.recordsJson || '[]') as Array<Record<string, unknown>>;
  context.out.result({ records, totalCount: response.totalCount, nextPageToken: response.nextPageToken }, () => {
    const columns = options.columns ? options.columns.split(',') : [...new Set(records.flatMap((record) => Object.keys(record)))].slice(0, 8);
    context.out.table(columns, records.map((record) => columns.map((column) => { const v = record[column]; return typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as string); })));
    context.out.line(`${records.length} of ${response.totalCount} record(s)${response.nextPageToken ? `; more: --page-token ${response.nextPageToken}` : ''}`);
  });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function recordsCommand(program: Command): void {
  const records = program.command('records').description('business records through the gateway pipeline: get, create, update, query');
  records.command('get').description('read one record').argument('<entity>').argument('<id>').option('--columns <a,b>', 'attributes to return').action(withContext(get));
  records
    .command('create')
    .description('create a record (plug-ins and workflows run as for any caller)')
    .argument('<entity>')
    .argument('<attributes>', `a JSON object or @file, e.g. '{"name": "Contoso"}'`)
    .option('--id <id>', 'the record id (default: a new one)')
    .option('--idempotency-key <key>', 'a repeat with this key returns the first answer')
    .action(withContext(create));
  records
    .command('update')
    .description('update a record')
    .argument('<entity>')
    .argument('<id>')
    .argument('<attributes>', 'a JSON object or @file of the attributes to set ({} with --operations only)')
    .option('--if-version <n>', 'refuse unless the record is at this version')
    .option('--operations <json>', `relative changes, e.g. '{"numberofemployees": {"op": "increment", "value": 5}}'`)
    .option('--idempotency-key <key>', 'a repeat with this key returns the first answer')
    .action(withContext(update));
  records
    .command('query')
    .description('query records of an entity (RetrieveMultiple)')
    .argument('<entity>')
    .option('-w, --where <condition>', "attr=value, attr>=value, attr~'Con%', attr:null, attr:in:[1,2]; repeatable (all must hold)", collect)
    .option('--order-by <order>', "e.g. 'creditlimit desc'")
    .option('--columns <a,b>', 'attributes to return (and show)')
    .option('--page-size <n>', 'records per page', '50')
    .option('--page-token <token>', 'the next page, as printed')
    .action(withContext(query));
}

/**
 * Turns a gRPC or REST request into an ExecuteInput: JSON fields parsed with a clear error,
 * depth and correlation id carried on, and the initiating user taken from the token (a
 * `service` caller acting for someone names them in `x-flowline-initiating-user`).
 */
import { randomUUID } from 'node:crypto';
import { Roles, type Principal } from '@flowline/auth';
import { invalidArgument } from '@flowline/rpc';
import type { ExecuteInput } from '../pipeline/pipeline.types';

export const INITIATING_USER_HEADER = 'x-flowline-initiating-user';
export const DEPTH_HEADER = 'x-flowline-depth';

export function parseJsonObject(text: string | undefined, field: string): Record<string, unknown> {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidArgument('INVALID_JSON', `${field} is not JSON: ${(error as Error).message}`, [
      { field, description: 'expected a JSON object' },
    ]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument('INVALID_JSON', `${field} must be a JSON object`, [{ field, description: 'expected a JSON object' }]);
  }
  return value as Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value);

export function initiatingUser(principal: Principal, claimed: string | undefined): string {
  if (claimed && (principal.roles.includes(Roles.service) || principal.roles.includes(Roles.admin))) return claimed;
  return principal.subject;
}

export interface RawExecute {
  message: string;
  entity: string;
  id?: string;
  target?: Record<string, unknown>;
  /** Update: relative changes, `{"attr": {"op": "increment", "value": 1}}`. */
  operations?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  expectedVersion?: number;
  idempotencyKey?: string;
  depth?: number;
  correlationId?: string;
  columns?: string[];
}

export function toExecuteInput(raw: RawExecute, principal: Principal, claimedUser: string | undefined): ExecuteInput {
  if (!raw.message)
    throw invalidArgument('INVALID_REQUEST', 'name the message to execute', [
      {
        field: 'message',
        description: 'expected Create, Update, Delete, Retrieve, RetrieveMultiple, Assign, SetState or a custom message',
      },
    ]);
  if (!raw.entity)
    throw invalidArgument('INVALID_REQUEST', 'name the entity', [
      { field: 'entity', description: 'expected an entity logical name such as account' },
    ]);
  for (const field of ['id', 'idempotencyKey', 'correlationId'] as const) {
    const value: unknown = raw[field];
    if (value !== undefined && value !== null && typeof value !== 'string')
      throw invalidArgument('INVALID_REQUEST', `${field} must be text`, [{ field, description: `expected text, got ${kindOf(value)}` }]);
  }
  const version: unknown = raw.expectedVersion;
  if (version !== undefined && version !== null && (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0))
    throw invalidArgument('INVALID_REQUEST', 'expectedVersion must be the record version, a whole number (0: no check)', [
      { field: 'expectedVersion', description: `expected a whole number from 0, got ${JSON.stringify(version)}` },
    ]);
  for (const field of ['target', 'parameters'] as const) {
    if (raw[field] !== undefined && raw[field] !== null && !isObject(raw[field]))
      throw invalidArgument('INVALID_REQUEST', `${field} must be a JSON object`, [
        { field, description: `expected an object, got ${kindOf(raw[field])}` },
      ]);
  }
  if (raw.columns !== undefined && raw.columns !== null) {
    if (!Array.isArray(raw.columns))
      throw invalidArgument('INVALID_REQUEST', 'columns must be a list of attribute names', [
        { field: 'columns', description: `expected a list such as ["name", "creditlimit"], got ${kindOf(raw.columns)}` },
      ]);
    const wrong = (raw.columns as unknown[]).findIndex((column) => typeof column !== 'string');
    if (wrong >= 0)
      throw invalidArgument('INVALID_REQUEST', 'columns must be a list of attribute names', [
        { field: `columns[${wrong}]`, description: `expected an attribute name, got ${kindOf((raw.columns as unknown[])[wrong])}` },
      ]);
  }
  if (raw.operations !== undefined && (typeof raw.operations !== 'object' || raw.operations === null || Array.isArray(raw.operations)))
    throw invalidArgument('INVALID_REQUEST', 'operations must be an object of attribute: {op, value}', [
      { field: 'operations', description: 'expected {"attr": {"op": "increment"|"decrement"|"multiply"|"append", "value": ...}}' },
    ]);
  return {
    message: raw.message,
    entity: raw.entity,
    ...(raw.id ? { id: raw.id } : {}),
    target: raw.target ?? {},
    ...(raw.operations && Object.keys(raw.operations).length > 0 ? { operations: raw.operations } : {}),
    parameters: raw.parameters ?? {},
    expectedVersion: raw.expectedVersion ?? 0,
    ...(raw.idempotencyKey ? { idempotencyKey: raw.idempotencyKey } : {}),
    depth: raw.depth && raw.depth > 0 ? raw.depth : 1,
    correlationId: raw.correlationId || randomUUID(),
    columns: raw.columns ?? [],
    initiatingUserId: initiatingUser(principal, claimedUser),
    origin: principal.roles.includes(Roles.service) ? principal.subject : 'api',
  };
}

/**
 * Turns a gRPC or REST request into an ExecuteInput: JSON fields parsed with a clear error,
 * depth and correlation id carried on, and the initiating user taken from the token (a
 * `service` caller acting for someone names them in `x-flowline-initiating-user`).
 */
import { Roles, type Principal } from '@flowline/auth';
import { z } from 'zod';
import { invalidArgument } from '@flowline/rpc';
import { parseOrRefuse } from '@flowline/service-kit';
import type { ExecuteInput } from '../pipeline/pipeline.types';
import { timeOrderedId } from '@flowline/persistence';

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

const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value);

const text = () => z.string({ error: (issue) => `expected text, got ${kindOf(issue.input)}` });
const object = () => z.record(z.string(), z.unknown(), { error: (issue) => `expected an object, got ${kindOf(issue.input)}` });

/** The fields of an Execute request a caller writes (REST: the body of `POST /api/v1/messages/{message}`). */
export const ExecuteBodyShape = {
  entity: z
    .string({ error: 'expected an entity logical name such as account' })
    .min(1, { error: 'expected an entity logical name such as account' }),
  id: text().nullish().meta({ description: 'the record id (Create: optional, a UUID)' }),
  target: object().nullish().meta({ description: 'attribute values to write' }),
  operations: z
    .record(z.string(), z.unknown(), {
      error: 'expected {"attr": {"op": "increment"|"decrement"|"multiply"|"append", "value": ...}}',
    })
    .optional()
    .meta({ description: 'Update: relative changes, {"attr": {"op": "increment", "value": 1}}' }),
  parameters: object()
    .nullish()
    .meta({ description: 'the message parameters (RetrieveMultiple: conditions, orderBy, pageSize, pageToken)' }),
  expectedVersion: z
    .number({ error: (issue) => `expected a whole number from 0, got ${JSON.stringify(issue.input)}` })
    .int({ error: (issue) => `expected a whole number from 0, got ${JSON.stringify(issue.input)}` })
    .min(0, { error: (issue) => `expected a whole number from 0, got ${JSON.stringify(issue.input)}` })
    .nullish()
    .meta({ description: 'the record version the change is meant for (0: no check)' }),
  idempotencyKey: text().nullish(),
  correlationId: text().nullish(),
  columns: z
    .array(z.string({ error: (issue) => `expected an attribute name, got ${kindOf(issue.input)}` }), {
      error: (issue) => `expected a list such as ["name", "creditlimit"], got ${kindOf(issue.input)}`,
    })
    .nullish()
    .meta({ description: 'the attributes to answer with (none: all)' }),
};

export const ExecuteRequestSchema = z.object({
  message: z
    .string({ error: 'expected Create, Update, Delete, Retrieve, RetrieveMultiple, Assign, SetState or a custom message' })
    .min(1, { error: 'expected Create, Update, Delete, Retrieve, RetrieveMultiple, Assign, SetState or a custom message' }),
  ...ExecuteBodyShape,
});

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

/** The ExecuteInput of a request whose fields ExecuteRequestSchema accepts (refused with INVALID_REQUEST at each field otherwise). */
export function toExecuteInput(raw: RawExecute, principal: Principal, claimedUser: string | undefined): ExecuteInput {
  // One schema for gRPC and REST: the REST document shows the same one (execute.http.routes.ts).
  parseOrRefuse(ExecuteRequestSchema, raw, { code: 'INVALID_REQUEST', what: 'the request' });
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
    correlationId: raw.correlationId || timeOrderedId(),
    columns: raw.columns ?? [],
    initiatingUserId: initiatingUser(principal, claimedUser),
    origin: principal.roles.includes(Roles.service) ? principal.subject : 'api',
  };
}

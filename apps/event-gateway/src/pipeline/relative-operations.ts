/**
 * Relative updates (increment, decrement, multiply, append): checked against the metadata
 * before the transaction, then applied to the record as it is inside the transaction, after
 * its row lock is taken, so concurrent and consecutive updates never lose each other's changes.
 * A value the record lacks counts as 0 (numbers) or "" (append). The results join the target
 * as plain values: steps, images, the pipeline event and the answer all see what was written.
 */
import type { AttributeMetadata, EntityMetadata } from '@flowline/contracts';
import { invalidArgument, type FieldViolation } from '@flowline/rpc';
import { PipelineErrorCode as Code } from './pipeline.errors';
import type { RelativeOperation } from './pipeline.types';

const NUMERIC_OPS = new Set(['increment', 'decrement', 'multiply']);
const OPS = ['increment', 'decrement', 'multiply', 'append'];
const NUMERIC_TYPES = new Set(['integer', 'decimal', 'money']);
const TEXT_TYPES = new Set(['string', 'memo']);

export type CheckedOperations = Record<string, RelativeOperation>;

/** Every problem of the operations at once, each at `operations.<attribute>`; nothing is written. */
export function checkOperations(
  entity: EntityMetadata,
  message: string,
  target: Record<string, unknown>,
  operations: Record<string, unknown> | undefined,
): CheckedOperations {
  const entries = Object.entries(operations ?? {});
  if (entries.length === 0) return {};
  if (message !== 'Update') {
    throw invalidArgument(Code.InvalidOperations, `relative operations apply to Update, not ${message}`, [
      { field: 'operations', description: 'only Update takes relative operations', code: 'MESSAGE' },
    ]);
  }
  const byName = new Map(entity.attributes.map((attribute) => [attribute.logicalName, attribute]));
  const violations: FieldViolation[] = [];
  const checked: CheckedOperations = {};
  for (const [name, raw] of entries) {
    const field = `operations.${name}`;
    const attribute = byName.get(name);
    if (!attribute) {
      violations.push({ field, description: `entity '${entity.logicalName}' has no attribute '${name}'`, code: 'UNKNOWN_ATTRIBUTE' });
      continue;
    }
    if (name in target) {
      violations.push({
        field,
        description: `'${name}' is both in the target and in the operations: give it in one of them`,
        code: 'BOTH',
      });
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      violations.push({ field, description: 'expected {"op": "increment"|"decrement"|"multiply"|"append", "value": ...}', code: 'TYPE' });
      continue;
    }
    const { op, value } = raw as { op?: unknown; value?: unknown };
    if (typeof op !== 'string' || !OPS.includes(op)) {
      violations.push({
        field: `${field}.op`,
        description: `expected one of ${OPS.join(', ')}, got ${JSON.stringify(op ?? null)}`,
        code: 'OP',
      });
      continue;
    }
    const problem = NUMERIC_OPS.has(op) ? numericProblem(attribute, op, value) : textProblem(attribute, value);
    if (problem) {
      violations.push({ field: problem.onValue ? `${field}.value` : field, description: problem.description, code: problem.code });
      continue;
    }
    checked[name] = { op: op as RelativeOperation['op'], value };
  }
  if (violations.length > 0) {
    throw invalidArgument(
      Code.InvalidOperations,
      `Update of ${entity.logicalName} has ${violations.length} invalid operation(s)`,
      violations,
    );
  }
  return checked;
}

interface Problem {
  description: string;
  code: string;
  onValue: boolean;
}

function numericProblem(attribute: AttributeMetadata, op: string, value: unknown): Problem | undefined {
  if (!NUMERIC_TYPES.has(attribute.type)) {
    return {
      description: `${op} applies to number attributes; '${attribute.logicalName}' is ${attribute.type}`,
      code: 'OP_TYPE',
      onValue: false,
    };
  }
  if (typeof value !== 'number' || !Number.isFinite(value))
    return { description: `expected a number to ${op} by`, code: 'TYPE', onValue: true };
  if (attribute.type === 'integer' && !Number.isInteger(value)) {
    return {
      description: `'${attribute.logicalName}' holds whole numbers: expected a whole number, got ${value}`,
      code: 'TYPE',
      onValue: true,
    };
  }
  return undefined;
}

function textProblem(attribute: AttributeMetadata, value: unknown): Problem | undefined {
  if (!TEXT_TYPES.has(attribute.type)) {
    return {
      description: `append applies to text attributes; '${attribute.logicalName}' is ${attribute.type}`,
      code: 'OP_TYPE',
      onValue: false,
    };
  }
  if (typeof value !== 'string') return { description: 'expected text to append', code: 'TYPE', onValue: true };
  return undefined;
}

function rounded(attribute: AttributeMetadata | undefined, value: number): number {
  if (attribute?.precision === undefined) return value;
  const scale = 10 ** attribute.precision;
  return Math.round(value * scale) / scale;
}

/** The values the operations give, computed from the attributes as stored now. */
export function applyOperations(
  entity: EntityMetadata,
  stored: Readonly<Record<string, unknown>>,
  operations: CheckedOperations,
): Record<string, unknown> {
  const byName = new Map(entity.attributes.map((attribute) => [attribute.logicalName, attribute]));
  const applied: Record<string, unknown> = {};
  for (const [name, { op, value }] of Object.entries(operations)) {
    const current = stored[name];
    switch (op) {
      case 'append':
        applied[name] = `${typeof current === 'string' ? current : ''}${String(value)}`;
        break;
      case 'increment':
      case 'decrement':
      case 'multiply': {
        const base = typeof current === 'number' ? current : 0;
        const by = value as number;
        applied[name] = rounded(byName.get(name), op === 'increment' ? base + by : op === 'decrement' ? base - by : base * by);
        break;
      }
    }
  }
  return applied;
}

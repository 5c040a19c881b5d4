/**
 * Values written by steps: literals, text templates (`Hello {{record.firstname}}`), and
 * expressions (a string starting with `=`), evaluated over the run's bindings.
 *
 * Null semantics, the same for workflows and dialogs: an attribute the record lacks reads as
 * null (CEL sees it as absent: `has(record.firstname)` is false); a template renders null as
 * empty text. The same holds for the pre-image, a run's inputs and a dialog's answers.
 */
import { compileExpression, type CompiledExpression } from '@flowline/process-model';
import type { InstanceState, Json } from './types';

const cache = new Map<string, CompiledExpression>();

function compiled(source: string): CompiledExpression {
  let expression = cache.get(source);
  if (!expression) {
    expression = compileExpression(source);
    if (cache.size > 5_000) cache.clear();
    cache.set(source, expression);
  }
  return expression;
}

export function bindings(state: InstanceState, now: string): Record<string, unknown> {
  // Dialogs: every answer given so far, by prompt id.
  const answers = Object.assign({}, ...Object.values(state.answers ?? {})) as Record<string, Json>;
  return {
    answers,
    record: state.record,
    pre: state.pre ?? {},
    changed: state.changed,
    vars: state.vars,
    steps: state.outputs,
    inputs: state.inputs,
    trigger: state.trigger ?? {},
    now,
  };
}

/** Evaluates over the run's bindings; `record` may be replaced (a wait on a related record). */
/** The bindings read with null semantics (see the header). */
const RECORD_BINDINGS = { records: ['record', 'pre', 'inputs', 'answers', 'trigger'] } as const;

export function evaluate(source: string, state: InstanceState, now: string, record?: Record<string, Json>): Json {
  return compiled(source).evaluate({ ...bindings(state, now), ...(record ? { record } : {}) }, RECORD_BINDINGS) as Json;
}

export function resolveValue(value: unknown, state: InstanceState, now: string): Json {
  if (typeof value === 'string') {
    if (value.startsWith('=')) return evaluate(value.slice(1), state, now);
    if (value.includes('{{')) {
      return value.replace(/\{\{([^}]+)\}\}/g, (_match, inner: string) => {
        const result = evaluate(inner.trim(), state, now);
        return result === null ? '' : typeof result === 'object' ? JSON.stringify(result) : String(result);
      });
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, state, now));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveValue(item, state, now)]));
  return (value ?? null) as Json;
}

/** ISO 8601 duration (PnDTnHnMnS) added to an instant. */
export function addDuration(start: string, duration: string): string {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(duration);
  if (!match) throw new Error(`'${duration}' is not an ISO 8601 duration`);
  const [, days, hours, minutes, seconds] = match.map((part) => Number(part ?? 0));
  const ms = (((days! * 24 + hours!) * 60 + minutes!) * 60 + seconds!) * 1000;
  return new Date(Date.parse(start) + ms).toISOString();
}

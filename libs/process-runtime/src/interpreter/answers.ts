/**
 * Checking a page's answers against its prompts' response types: required, option values,
 * whole and decimal numbers, dates. Browsers send text, so numbers and dates may arrive as
 * strings; they are normalised here. Every refused answer gets its own message, whatever the
 * value (an object where one value belongs is refused, never read through its toString), and
 * text holding a NUL character or a lone UTF-16 surrogate is refused as no store can keep it.
 */
import { badTextIn } from '@flowline/process-model';
import type { Json } from './types';

/** A prompt's optionsFrom as the compiler resolves it (see ResolvedOptionsFrom in process-model). */
export interface OptionsFromSpec {
  query: string;
  entity: string;
  idAttribute: string;
  label: string;
}

export interface PromptSpec {
  id: string;
  response: {
    type: string;
    required?: boolean;
    options?: Array<{ value: string | number; label: string }>;
    optionsFrom?: OptionsFromSpec;
    /** lookup: the entity of the records offered or searched. */
    entity?: string;
    /** lookup the person searches (no options): the attributes holding each record's id and its name. */
    idAttribute?: string;
    label?: string;
  };
}

const article = (word: string): string => (/^[aeiou]/i.test(word) ? 'an' : 'a');
const text = (value: Json | undefined): string =>
  value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);

/**
 * An answer as text for comparing and for messages, without ever calling its own toString or
 * valueOf: an object from JSON may have a key `toString` (`{"toString": 1}`), and String()
 * of it throws. Objects and lists show as JSON; only text and numbers compare as values.
 */
const scalarText = (value: Json | undefined): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
const shown = (value: Json | undefined): string => scalarText(value) ?? text(value);

/** The first ten choices as `value (label)`, for refusals. */
const offeredList = (options: ReadonlyArray<{ value: string | number; label: string }>): string =>
  `${options
    .slice(0, 10)
    .map((o) => `${o.value} (${o.label})`)
    .join(', ')}${options.length > 10 ? ', …' : ''}`;

/** What a lookup answer names: an id given alone, or a reference's id, entity and name ('' when there is no id). */
export function referenceOf(raw: Json | undefined): { id: string; entity?: unknown; name?: string } {
  if (typeof raw === 'string') return { id: raw };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { id: '' };
  return {
    id: typeof raw['id'] === 'string' ? raw['id'] : '',
    entity: raw['entity'],
    ...(typeof raw['name'] === 'string' ? { name: raw['name'] } : {}),
  };
}

/**
 * The prompt with its choices filled in from the records its query saved: each record's id as
 * the value, its label attribute (or the id, when empty) as the label. A prompt whose query found
 * nothing offers nothing and cannot be required: the person would have no way on.
 */
export function withChoices<P extends PromptSpec>(prompt: P, vars: Record<string, Json>): P {
  const from = prompt.response.optionsFrom;
  if (!from) return prompt;
  const saved = vars[from.query];
  const records = Array.isArray(saved) ? saved : [];
  const options = records.flatMap((record) => {
    if (!record || typeof record !== 'object' || Array.isArray(record)) return [];
    const id = record[from.idAttribute];
    if (typeof id !== 'string' && typeof id !== 'number') return [];
    const label = text(record[from.label]);
    return [{ value: String(id), label: label === '' ? String(id) : label }];
  });
  const { optionsFrom: _resolved, ...response } = prompt.response;
  return {
    ...prompt,
    response: {
      ...response,
      options,
      required: (prompt.response.required ?? false) && options.length > 0,
      ...(prompt.response.type === 'lookup' ? { entity: from.entity } : {}),
    },
  };
}

export function checkAnswers(
  prompts: readonly PromptSpec[],
  given: Record<string, Json>,
): { values: Record<string, Json>; errors: Record<string, string> } {
  const values: Record<string, Json> = {};
  const errors: Record<string, string> = {};
  for (const prompt of prompts) {
    const raw = given[prompt.id];
    const empty = raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
    const { type, required, options } = prompt.response;
    if (type === 'none') continue;
    if (empty) {
      if (required) errors[prompt.id] = 'an answer is required';
      else values[prompt.id] = null;
      continue;
    }
    const unstorable = badTextIn(raw);
    if (unstorable) {
      errors[prompt.id] = `the answer ${unstorable}`;
      continue;
    }
    switch (type) {
      case 'text':
      case 'multilineText':
        if (typeof raw !== 'string') errors[prompt.id] = 'expected text';
        else if (raw.length > (type === 'text' ? 500 : 10_000)) errors[prompt.id] = `at most ${type === 'text' ? 500 : 10_000} characters`;
        else values[prompt.id] = raw;
        break;
      case 'integer': {
        const given = scalarText(raw);
        const number = typeof raw === 'number' ? raw : given !== undefined && /^-?\d+$/.test(given.trim()) ? Number(given) : NaN;
        if (!Number.isSafeInteger(number)) errors[prompt.id] = `expected a whole number, got '${shown(raw)}'`;
        else values[prompt.id] = number;
        break;
      }
      case 'decimal': {
        const given = scalarText(raw);
        const number = typeof raw === 'number' ? raw : given !== undefined && /^-?\d+(\.\d+)?$/.test(given.trim()) ? Number(given) : NaN;
        if (!Number.isFinite(number)) errors[prompt.id] = `expected a number such as 12.5, got '${shown(raw)}'`;
        else values[prompt.id] = number;
        break;
      }
      case 'date':
        if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(raw)))
          errors[prompt.id] = `expected a date as YYYY-MM-DD, got '${shown(raw)}'`;
        else values[prompt.id] = raw;
        break;
      case 'dateTime':
        if (typeof raw !== 'string' || Number.isNaN(Date.parse(raw))) errors[prompt.id] = `expected a date and time, got '${shown(raw)}'`;
        else values[prompt.id] = new Date(raw).toISOString();
        break;
      case 'optionSet': {
        const given = scalarText(raw);
        const option = given === undefined ? undefined : (options ?? []).find((candidate) => String(candidate.value) === given);
        if (!option)
          errors[prompt.id] =
            (options ?? []).length === 0
              ? 'there is nothing to choose from'
              : `expected one of ${offeredList(options ?? [])}, got '${shown(raw)}'`;
        else values[prompt.id] = option.value;
        break;
      }
      case 'lookup': {
        const ref = raw as { entity?: unknown; id?: unknown };
        if (options && prompt.response.entity) {
          // Choices from a query: the answer is one of the offered records, by id or by reference.
          const entity = prompt.response.entity;
          const given = referenceOf(raw);
          const id = given.entity === undefined || given.entity === entity ? given.id : undefined;
          const option = options.find((candidate) => String(candidate.value) === id);
          if (!option)
            errors[prompt.id] =
              options.length === 0
                ? 'there is no record to choose from'
                : `expected one of the ${entity} records offered: ${offeredList(options)}; got '${text(raw)}'`;
          else values[prompt.id] = { entity, id: String(option.value), name: option.label };
          break;
        }
        if (prompt.response.entity) {
          // A record the person searched for: by id or by reference, of the prompt's entity. That it
          // exists is for the caller to check (the interpreter reads nothing).
          const entity = prompt.response.entity;
          const given = referenceOf(raw);
          const id = given.id.trim();
          if (given.entity !== undefined && given.entity !== entity)
            errors[prompt.id] = `expected ${article(entity)} ${entity} record, got a reference to ${text(given.entity as Json)}`;
          else if (id === '') errors[prompt.id] = `expected ${article(entity)} ${entity} record: its id, or a reference {entity, id}`;
          else values[prompt.id] = { entity, id, ...(given.name !== undefined ? { name: given.name } : {}) };
          break;
        }
        if (typeof raw !== 'object' || typeof ref.entity !== 'string' || typeof ref.id !== 'string')
          errors[prompt.id] = 'expected a record reference {entity, id}';
        else values[prompt.id] = { entity: ref.entity, id: ref.id };
        break;
      }
      default:
        errors[prompt.id] = `unknown response type '${type}'`;
    }
  }
  return { values, errors };
}

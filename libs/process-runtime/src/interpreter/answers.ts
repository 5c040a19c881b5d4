/**
 * Checking a page's answers against its prompts' response types: required, option values,
 * whole and decimal numbers, dates. Browsers send text, so numbers and dates may arrive as
 * strings; they are normalised here. Every refused answer gets its own message.
 */
import type { Json } from './types';

export interface PromptSpec {
  id: string;
  response: { type: string; required?: boolean; options?: Array<{ value: string | number; label: string }> };
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
    switch (type) {
      case 'text':
      case 'multilineText':
        if (typeof raw !== 'string') errors[prompt.id] = 'expected text';
        else if (raw.length > (type === 'text' ? 500 : 10_000)) errors[prompt.id] = `at most ${type === 'text' ? 500 : 10_000} characters`;
        else values[prompt.id] = raw;
        break;
      case 'integer': {
        const number = typeof raw === 'number' ? raw : /^-?\d+$/.test(String(raw).trim()) ? Number(raw) : NaN;
        if (!Number.isSafeInteger(number)) errors[prompt.id] = `expected a whole number, got '${String(raw)}'`;
        else values[prompt.id] = number;
        break;
      }
      case 'decimal': {
        const number = typeof raw === 'number' ? raw : /^-?\d+(\.\d+)?$/.test(String(raw).trim()) ? Number(raw) : NaN;
        if (!Number.isFinite(number)) errors[prompt.id] = `expected a number such as 12.5, got '${String(raw)}'`;
        else values[prompt.id] = number;
        break;
      }
      case 'date':
        if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(raw)))
          errors[prompt.id] = `expected a date as YYYY-MM-DD, got '${String(raw)}'`;
        else values[prompt.id] = raw;
        break;
      case 'dateTime':
        if (typeof raw !== 'string' || Number.isNaN(Date.parse(raw))) errors[prompt.id] = `expected a date and time, got '${String(raw)}'`;
        else values[prompt.id] = new Date(raw).toISOString();
        break;
      case 'optionSet': {
        const option = (options ?? []).find((candidate) => String(candidate.value) === String(raw));
        if (!option)
          errors[prompt.id] = `expected one of ${(options ?? []).map((o) => `${o.value} (${o.label})`).join(', ')}, got '${String(raw)}'`;
        else values[prompt.id] = option.value;
        break;
      }
      case 'lookup': {
        const ref = raw as { entity?: unknown; id?: unknown };
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

/**
 * What the session service refuses in a page's answers before the interpreter sees them,
 * each as a violation naming its field (`answers.<promptId>`): an answer for a prompt the page
 * does not have, text holding a NUL character or a lone UTF-16 surrogate (which no record or
 * session can store: refusing it is permanent, never "try again"), and a date that does not
 * exist on the calendar (`2027-02-30`), which the interpreter's format check lets through, and
 * an object or list for a prompt that takes one value (only a lookup takes a reference).
 */
import type { Json } from '@flowline/process-runtime';
import { badTextIn, printableText } from '@flowline/process-model';
import type { FieldViolation } from '@flowline/rpc';

export interface EdgePrompt {
  id: string;
  response: { type: string };
}

/** Whether YYYY-MM-DD (or the date part of a date and time) names a day that exists. */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text.trim());
  if (!match) return true; // not this check's business: the format check refuses it
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}


export function answerEdgeViolations(pageId: string, prompts: readonly EdgePrompt[], answers: Record<string, Json>): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const ids = new Set(prompts.map((prompt) => prompt.id));
  for (const key of Object.keys(answers)) {
    if (ids.has(key)) continue;
    violations.push({
      field: `answers.${printableText(key)}`,
      description: `the page '${pageId}' has no prompt '${printableText(key)}'${ids.size > 0 ? `; its prompts are ${[...ids].join(', ')}` : ''}`,
      code: 'UNKNOWN_PROMPT',
    });
  }
  for (const prompt of prompts) {
    const raw = answers[prompt.id];
    if (raw === undefined) continue;
    const problem = badTextIn(raw);
    if (problem) {
      violations.push({ field: `answers.${prompt.id}`, description: `the answer ${problem}`, code: 'BAD_CHARACTER' });
      continue;
    }
    if (prompt.response.type !== 'lookup' && raw !== null && typeof raw === 'object') {
      // Only a lookup takes an object (a record reference); the interpreter reads every other answer as one value.
      violations.push({
        field: `answers.${prompt.id}`,
        description: `expected a single value (text, a number or the value of an option), got ${Array.isArray(raw) ? 'a list' : 'an object'}`,
        code: 'ANSWER_INVALID',
      });
      continue;
    }
    if ((prompt.response.type === 'date' || prompt.response.type === 'dateTime') && typeof raw === 'string' && !isCalendarDate(raw)) {
      violations.push({
        field: `answers.${prompt.id}`,
        description: `'${raw}' is not a day of the calendar: expected a date as YYYY-MM-DD that exists`,
        code: 'ANSWER_INVALID',
      });
    }
  }
  return violations;
}

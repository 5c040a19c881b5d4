/**
 * Property-based: any answers to any page are either taken or refused naming `answers.<prompt>`
 * (the session service's edge, then the interpreter's checkAnswers); never a throw, and what
 * is taken holds no NUL, no lone surrogate and no day that is not on the calendar.
 * Bounded runs; FLOWLINE_FC_SEED replays a failing run (fast-check prints the seed it used).
 */
import fc from 'fast-check';
import { badCharacter } from '@flowline/process-model';
import { checkAnswers, type Json, type PromptSpec } from '@flowline/process-runtime';
import { answerEdgeViolations, isCalendarDate } from './answer-edge';

const seed = process.env['FLOWLINE_FC_SEED'];
const runs = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(seed ? { seed: Number(seed) } : {}) });

const TYPES = ['none', 'text', 'multilineText', 'integer', 'decimal', 'date', 'dateTime', 'optionSet', 'lookup'] as const;

const promptId = fc.constantFrom('a', 'b', 'score', 'callOn', 'details', 'company');

const prompt: fc.Arbitrary<PromptSpec> = fc.record({
  id: promptId,
  response: fc.oneof(
    fc.record({ type: fc.constantFrom(...TYPES), required: fc.boolean() }),
    fc.record({
      type: fc.constant('optionSet'),
      required: fc.boolean(),
      options: fc.array(fc.record({ value: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.string({ maxLength: 3 })), label: fc.string() }), {
        maxLength: 4,
      }),
    }),
    fc.record({ type: fc.constant('lookup'), required: fc.boolean(), entity: fc.constantFrom('account', 'contact') }),
  ),
});

/** Prompts with distinct ids, as a page has them. */
const prompts = fc.uniqueArray(prompt, { selector: (p) => p.id, maxLength: 5 });

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\u0000', 'x\u0000y', '\ud800', '2027-02-30', '2028-02-29', '2027-02-30T10:00:00Z', '12', '-3.5', '1e400', ' '),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10)),
);

const answerValue: fc.Arbitrary<Json> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    // As JSON.parse makes them: ordinary objects, whose keys may be toString or valueOf.
    fc.dictionary(fc.oneof(fc.constantFrom('entity', 'id', 'name', 'toString', 'valueOf'), text), tie('value'), {
      maxKeys: 3,
      noNullPrototype: true,
    }),
  ),
})).value as fc.Arbitrary<Json>;

const answers = fc.dictionary(fc.oneof(promptId, fc.string()), answerValue, { maxKeys: 6, noNullPrototype: true });

function texts(value: Json): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(texts);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => [key, ...texts(item)]);
  return [];
}

describe('dialog answers, property-based: taken, or refused naming answers.<prompt>', () => {
  it('never throws; every refusal names answers.<prompt>; what is taken is clean', () => {
    fc.assert(
      fc.property(prompts, answers, (page, given) => {
        const refused = answerEdgeViolations('page', page, given);
        for (const violation of refused) expect(violation.field).toMatch(/^answers\./);
        const fields = new Set(refused.map((violation) => violation.field));
        const { values, errors } = checkAnswers(
          page.filter((p) => !fields.has(`answers.${p.id}`)),
          given,
        );
        const ids = new Set(page.map((p) => p.id));
        for (const id of Object.keys(errors)) expect(ids.has(id)).toBe(true);
        if (refused.length > 0 || Object.keys(errors).length > 0) return;
        // Taken: only prompts of the page, clean text, real days.
        for (const key of Object.keys(given)) expect(ids.has(key)).toBe(true);
        for (const [id, value] of Object.entries(values)) {
          for (const piece of texts(value)) expect(badCharacter(piece)).toBeUndefined();
          const type = page.find((p) => p.id === id)!.response.type;
          if ((type === 'date' || type === 'dateTime') && typeof value === 'string') expect(isCalendarDate(value)).toBe(true);
        }
      }),
      runs(500),
    );
  });
  it('checkAnswers alone (no edge before it) never throws, refuses only prompts of the page, and takes only clean text', () => {
    fc.assert(
      fc.property(prompts, answers, (page, given) => {
        const { values, errors } = checkAnswers(page, given);
        const ids = new Set(page.map((p) => p.id));
        for (const id of [...Object.keys(errors), ...Object.keys(values)]) expect(ids.has(id)).toBe(true);
        for (const value of Object.values(values)) for (const piece of texts(value)) expect(badCharacter(piece)).toBeUndefined();
      }),
      runs(500),
    );
  });
});

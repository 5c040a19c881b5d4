import { checkAnswers, type PromptSpec } from './answers';
import type { Json } from './types';

const prompt = (id: string, type: string, extra: Partial<PromptSpec['response']> = {}): PromptSpec => ({
  id,
  response: { type, ...extra },
});

describe('checkAnswers with answers no browser would send', () => {
  // JSON.parse makes ordinary objects whose own keys may shadow toString and valueOf.
  const hostile: Json[] = [{ toString: 1 }, { valueOf: 'x' }, { toString: 1, id: 'x' }, [1, 2], JSON.parse('{"__proto__": 1}') as Json];
  const prompts = [
    prompt('count', 'integer'),
    prompt('amount', 'decimal'),
    prompt('day', 'date'),
    prompt('when', 'dateTime'),
    prompt('choice', 'optionSet', { options: [{ value: 1, label: 'One' }] }),
  ];

  it.each(hostile.map((value) => [JSON.stringify(value), value]))('refuses %s for every one-value prompt without throwing', (_, value) => {
    const given = Object.fromEntries(prompts.map((p) => [p.id, value]));
    const { values, errors } = checkAnswers(prompts, given);
    expect(values).toEqual({});
    expect(Object.keys(errors).sort()).toEqual(['amount', 'choice', 'count', 'day', 'when']);
    expect(errors['count']).toBe(`expected a whole number, got '${JSON.stringify(value)}'`);
  });

  it('refuses text holding a NUL character or a lone surrogate, in a text answer or a lookup reference', () => {
    const { values, errors } = checkAnswers(
      [prompt('details', 'text'), prompt('company', 'lookup', { entity: 'account' }), prompt('note', 'multilineText')],
      { details: 'late\u0000parcel', company: { entity: 'account', id: 'x\ud800' }, note: 'fine 😀' },
    );
    expect(errors).toEqual({
      details: 'the answer holds a NUL character (\\u0000) at position 4: remove it',
      company: 'the answer holds a lone UTF-16 surrogate (\\ud800) at position 1: text must be valid Unicode',
    });
    expect(values).toEqual({ note: 'fine 😀' });
  });

  it('still takes numbers and options given as text', () => {
    const { values, errors } = checkAnswers(prompts, { count: ' 12 ', amount: '2.5', day: '2027-02-28', choice: '1' });
    expect(errors).toEqual({});
    expect(values).toEqual({ count: 12, amount: 2.5, day: '2027-02-28', when: null, choice: 1 });
  });
});

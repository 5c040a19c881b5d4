import { answerEdgeViolations, isCalendarDate } from './answer-edge';

const prompts = [
  { id: 'details', response: { type: 'multilineText' } },
  { id: 'callOn', response: { type: 'date' } },
  { id: 'at', response: { type: 'dateTime' } },
  { id: 'company', response: { type: 'lookup' } },
];

describe('answerEdgeViolations', () => {
  it('accepts clean answers, emoji included', () => {
    expect(
      answerEdgeViolations('p', prompts, { details: 'Late 👋', callOn: '2028-02-29', company: { entity: 'account', id: 'a' } }),
    ).toEqual([]);
  });

  it('names a NUL in a text answer, and in a reference inside an answer', () => {
    expect(answerEdgeViolations('p', prompts, { details: 'a\u0000', company: { entity: 'account', id: 'x\u0000' } })).toEqual([
      {
        field: 'answers.details',
        description: 'the answer holds a NUL character (\\u0000) at position 1: remove it',
        code: 'BAD_CHARACTER',
      },
      {
        field: 'answers.company',
        description: 'the answer holds a NUL character (\\u0000) at position 1: remove it',
        code: 'BAD_CHARACTER',
      },
    ]);
  });

  it('names a prompt the page does not have', () => {
    expect(answerEdgeViolations('page-1', prompts.slice(0, 1), { details: 'x', nosuch: 1, 'bad\u0000': 2 })).toEqual([
      { field: 'answers.nosuch', description: "the page 'page-1' has no prompt 'nosuch'; its prompts are details", code: 'UNKNOWN_PROMPT' },
      { field: 'answers.bad?', description: "the page 'page-1' has no prompt 'bad?'; its prompts are details", code: 'UNKNOWN_PROMPT' },
    ]);
  });

  it('refuses an object or a list for a prompt that takes one value (checkAnswers would throw on {toString: 1})', () => {
    expect(answerEdgeViolations('p', prompts, { details: { toString: 1 }, callOn: ['2027-01-01'] })).toEqual([
      {
        field: 'answers.details',
        description: 'expected a single value (text, a number or the value of an option), got an object',
        code: 'ANSWER_INVALID',
      },
      {
        field: 'answers.callOn',
        description: 'expected a single value (text, a number or the value of an option), got a list',
        code: 'ANSWER_INVALID',
      },
    ]);
  });

  it('refuses days that do not exist, for dates and dates with times', () => {
    expect(answerEdgeViolations('p', prompts, { callOn: '2027-02-30', at: '2027-04-31T10:00:00Z' }).map((v) => v.field)).toEqual([
      'answers.callOn',
      'answers.at',
    ]);
  });
});

describe('isCalendarDate', () => {
  it.each([
    ['2027-02-28', true],
    ['2028-02-29', true],
    ['2027-02-29', false],
    ['2027-02-30', false],
    ['2027-13-01', false],
    ['2027-00-10', false],
    ['2027-06-31', false],
    ['not a date', true],
  ])('%s: %s', (text, expected) => {
    expect(isCalendarDate(text)).toBe(expected);
  });
});

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { compileDefinition, parseSource } from '@flowline/process-model';
import { advance } from './advance';
import type { Effect } from './types';

const parsed = parseSource(readFileSync(path.resolve(__dirname, '../../../../examples/customer-survey.dialog.yaml'), 'utf8'), 'yaml');
if (!parsed.ok) throw new Error('the survey example does not parse');
const survey = compileDefinition(parsed.value, DEFAULT_ENTITIES);
const now = '2026-11-25T10:00:00.000Z';
const record = { ref: { entity: 'contact', id: 'c1' }, firstname: 'Ada', fullname: 'Ada Ng' };
const begin = () => advance(survey, undefined, { type: 'start', operationId: 'session-1', now, depth: 1, record: record as never });
const shown = (effects: Effect[]) =>
  effects.find((effect) => effect.type === 'showPage') as Extract<Effect, { type: 'showPage' }> | undefined;

describe('advance: dialogs', () => {
  it('shows the first page with its prompts and options', () => {
    const first = begin();
    expect(first.state.status).toBe('waiting');
    expect(shown(first.effects)).toEqual({
      type: 'showPage',
      stepId: 'satisfaction',
      title: 'How did we do?',
      canGoBack: false,
      prompts: [
        {
          id: 'score',
          text: 'How satisfied are you, Ada?',
          response: {
            type: 'optionSet',
            required: true,
            display: 'radio',
            options: [
              { value: 1, label: 'Unhappy' },
              { value: 2, label: 'Fine' },
              { value: 3, label: 'Delighted' },
            ],
          },
        },
      ],
    });
  });

  it('refuses bad answers per field and changes nothing', () => {
    const first = begin();
    const refused = advance(survey, first.state, { type: 'pageAnswers', pageId: 'satisfaction', answers: { score: '9' }, now });
    expect(refused.invalid).toEqual({ score: "expected one of 1 (Unhappy), 2 (Fine), 3 (Delighted), got '9'" });
    expect(refused.effects).toEqual([]);
    expect(refused.state).toEqual(first.state);
    expect(advance(survey, first.state, { type: 'pageAnswers', pageId: 'satisfaction', answers: {}, now }).invalid).toEqual({
      score: 'an answer is required',
    });
    expect(advance(survey, first.state, { type: 'pageAnswers', pageId: 'thanks', answers: {}, now }).invalid).toEqual({
      page: "'thanks' is not the page being shown (satisfaction)",
    });
  });

  it('branches on an answer, goes back with the earlier answer restored, and finishes on another branch', () => {
    const first = begin();
    const unhappy = advance(survey, first.state, { type: 'pageAnswers', pageId: 'satisfaction', answers: { score: '1' }, now });
    expect(shown(unhappy.effects)).toMatchObject({ stepId: 'what-went-wrong', canGoBack: true });
    const back = advance(survey, unhappy.state, { type: 'previousPage', now });
    expect(shown(back.effects)).toMatchObject({ stepId: 'satisfaction', canGoBack: false, prompts: [{ id: 'score', answer: 1 }] });
    const happy = advance(survey, back.state, { type: 'pageAnswers', pageId: 'satisfaction', answers: { score: 3 }, now });
    expect(shown(happy.effects)).toMatchObject({ stepId: 'thanks' });
    const done = advance(survey, happy.state, { type: 'pageAnswers', pageId: 'thanks', answers: { note: 'All good' }, now });
    expect(done.effects).toEqual([{ type: 'complete', outcome: 'succeeded', message: '' }]);
    expect(done.state.answers).toEqual({ satisfaction: { score: 3 }, thanks: { note: 'All good' } });
  });

  it('creates a case from the answers on the unhappy path', () => {
    const unhappy = advance(survey, begin().state, { type: 'pageAnswers', pageId: 'satisfaction', answers: { score: 1 }, now });
    const details = advance(survey, unhappy.state, {
      type: 'pageAnswers',
      pageId: 'what-went-wrong',
      answers: { details: 'Late delivery' },
      now,
    });
    expect(details.effects).toEqual([
      {
        type: 'executeMessage',
        effectId: 'session-1:$.steps[1].branches[0].steps[1]',
        idempotencyKey: 'session-1:$.steps[1].branches[0].steps[1]',
        stepId: 'open-case',
        message: 'Create',
        entity: 'incident',
        target: { title: 'Unhappy customer Ada Ng', prioritycode: 1 },
        parameters: {},
      },
    ]);
    const finished = advance(survey, details.state, {
      type: 'effectResult',
      effectId: 'session-1:$.steps[1].branches[0].steps[1]',
      ok: true,
      output: { id: 'case-9' },
      now,
    });
    expect(finished.effects).toEqual([{ type: 'complete', outcome: 'succeeded', message: '' }]);
  });
});

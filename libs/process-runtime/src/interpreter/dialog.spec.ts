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
        target: {
          title: 'Unhappy customer Ada Ng',
          prioritycode: 1,
          description: 'Late delivery',
          customerid: { entity: 'contact', id: 'c1' },
        },
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

describe('advance: a lookup the person searches', () => {
  const unhappy = () => advance(survey, begin().state, { type: 'pageAnswers', pageId: 'satisfaction', answers: { score: 1 }, now });
  const answer = (company: unknown) =>
    advance(survey, unhappy().state, {
      type: 'pageAnswers',
      pageId: 'what-went-wrong',
      answers: { details: 'Late', company: company as never },
      now,
    });

  it('shows the entity to search and the attributes holding a record id and its name', () => {
    expect(shown(unhappy().effects)!.prompts[1]).toEqual({
      id: 'company',
      text: 'Were you buying for a company? Find it here.',
      response: { type: 'lookup', required: false, entity: 'account', idAttribute: 'accountid', labelAttribute: 'name' },
    });
  });

  it('takes a record of that entity by id or by reference (with its name), and refuses another entity', () => {
    for (const given of ['a-1', { entity: 'account', id: 'a-1', name: 'Contoso' }]) {
      const taken = answer(given);
      expect(taken.invalid).toBeUndefined();
      const created = taken.effects[0] as Extract<Effect, { type: 'executeMessage' }>;
      expect(created.target['customerid']).toMatchObject({ entity: 'account', id: 'a-1' });
    }
    expect(answer({ entity: 'account', id: 'a-1', name: 'Contoso' }).state.answers['what-went-wrong']).toEqual({
      details: 'Late',
      company: { entity: 'account', id: 'a-1', name: 'Contoso' },
    });
    expect(answer({ entity: 'contact', id: 'c-1' }).invalid).toEqual({ company: 'expected an account record, got a reference to contact' });
    expect(answer({ entity: 'account' }).invalid).toEqual({ company: 'expected an account record: its id, or a reference {entity, id}' });
  });
});

describe('advance: choices filled from a query', () => {
  const fine = () => advance(survey, begin().state, { type: 'pageAnswers', pageId: 'satisfaction', answers: { score: 2 }, now });
  const queried = (records: unknown[]) => {
    const asked = fine();
    const query = asked.effects.find((effect) => effect.type === 'executeMessage') as Extract<Effect, { type: 'executeMessage' }>;
    expect(query).toMatchObject({ message: 'RetrieveMultiple', entity: 'incident', stepId: 'open-cases' });
    return advance(survey, asked.state, {
      type: 'effectResult',
      effectId: query.effectId,
      ok: true,
      output: { records: records as never },
      now,
    });
  };
  const cases = [
    { incidentid: 'case-1', title: 'Printer jam', statecode: 0 },
    { incidentid: 'case-2', title: '', statecode: 0 },
  ];

  it("offers the query's records by their primary name (the id when it is empty), as a lookup of their entity", () => {
    const page = shown(queried(cases).effects)!;
    expect(page.prompts.find((prompt) => prompt.id === 'aboutCase')).toEqual({
      id: 'aboutCase',
      text: 'Is the call about one of your open cases?',
      response: {
        type: 'lookup',
        required: false,
        entity: 'incident',
        options: [
          { value: 'case-1', label: 'Printer jam' },
          { value: 'case-2', label: 'case-2' },
        ],
      },
    });
  });

  it('takes an offered record by id or by reference, stores a reference, and refuses any other record', () => {
    const waiting = queried(cases);
    const answers = { wantsCall: 1, channel: 'web' };
    const refused = advance(survey, waiting.state, {
      type: 'pageAnswers',
      pageId: 'call-back',
      answers: { ...answers, aboutCase: 'case-9' },
      now,
    });
    expect(refused.invalid).toEqual({
      aboutCase: "expected one of the incident records offered: case-1 (Printer jam), case-2 (case-2); got 'case-9'",
    });
    const otherEntity = advance(survey, waiting.state, {
      type: 'pageAnswers',
      pageId: 'call-back',
      answers: { ...answers, aboutCase: { entity: 'account', id: 'case-1' } },
      now,
    });
    expect(otherEntity.invalid).toHaveProperty('aboutCase');
    for (const given of ['case-1', { entity: 'incident', id: 'case-1' }]) {
      const taken = advance(survey, waiting.state, {
        type: 'pageAnswers',
        pageId: 'call-back',
        answers: { ...answers, aboutCase: given },
        now,
      });
      expect(taken.invalid).toBeUndefined();
      expect(taken.state.answers['call-back']).toMatchObject({ aboutCase: { entity: 'incident', id: 'case-1' } });
      // The chosen case becomes the call task's regarding record.
      const task = taken.effects.find((effect) => effect.type === 'executeMessage') as Extract<Effect, { type: 'executeMessage' }>;
      expect(task).toMatchObject({ entity: 'task', target: { regardingobjectid: { entity: 'incident', id: 'case-1' } } });
    }
    const none = advance(survey, waiting.state, { type: 'pageAnswers', pageId: 'call-back', answers, now });
    const task = none.effects.find((effect) => effect.type === 'executeMessage') as Extract<Effect, { type: 'executeMessage' }>;
    expect(task).toMatchObject({ entity: 'task', target: { regardingobjectid: { entity: 'contact', id: 'c1' } } });
  });

  it('offers nothing when the query found nothing, and then cannot require an answer', () => {
    const required = compileDefinition(
      {
        schemaVersion: 1,
        name: 'Pick a case',
        uniqueName: 'pick-a-case',
        category: 'dialog',
        primaryEntity: 'contact',
        steps: [
          { id: 'q', type: 'queryData', entity: 'incident', conditions: [], saveAs: 'found' },
          {
            id: 'pick',
            type: 'page',
            prompts: [
              {
                id: 'which',
                text: 'Which?',
                response: { type: 'optionSet', required: true, optionsFrom: { query: 'found', label: 'title' } },
              },
            ],
          },
        ],
      },
      DEFAULT_ENTITIES,
    );
    const started = advance(required, undefined, { type: 'start', operationId: 's-2', now, depth: 1, record: record as never });
    const query = started.effects[0] as Extract<Effect, { type: 'executeMessage' }>;
    const empty = advance(required, started.state, {
      type: 'effectResult',
      effectId: query.effectId,
      ok: true,
      output: { records: [] },
      now,
    });
    expect(shown(empty.effects)!.prompts[0]!.response).toEqual({ type: 'optionSet', required: false, options: [] });
    expect(advance(required, empty.state, { type: 'pageAnswers', pageId: 'pick', answers: { which: 'x' }, now }).invalid).toEqual({
      which: 'there is nothing to choose from',
    });
    const done = advance(required, empty.state, { type: 'pageAnswers', pageId: 'pick', answers: {}, now });
    expect(done.invalid).toBeUndefined();
    expect(done.state.answers).toEqual({ pick: { which: null } });
    // An optionSet filled from a query answers with the record's id.
    const some = advance(required, started.state, {
      type: 'effectResult',
      effectId: query.effectId,
      ok: true,
      output: { records: [{ incidentid: 'i-1', title: 'Broken' }] },
      now,
    });
    expect(shown(some.effects)!.prompts[0]!.response).toEqual({
      type: 'optionSet',
      required: true,
      options: [{ value: 'i-1', label: 'Broken' }],
    });
    expect(advance(required, some.state, { type: 'pageAnswers', pageId: 'pick', answers: { which: 'i-1' }, now }).state.answers).toEqual({
      pick: { which: 'i-1' },
    });
  });
});

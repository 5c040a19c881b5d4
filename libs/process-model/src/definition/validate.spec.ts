import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { canonicalJson, compileDefinition, DefinitionInvalidError, subscriptionsOf } from './compile';
import { parseSource } from './parse-source';
import { validateDefinition } from './validate';

const EXAMPLES = path.resolve(__dirname, '../../../../examples');
const example = (file: string) => {
  const parsed = parseSource(readFileSync(path.join(EXAMPLES, file), 'utf8'), 'yaml');
  if (!parsed.ok) throw new Error(parsed.errors[0]!.message);
  return parsed.value as Record<string, unknown>;
};
const base = { schemaVersion: 1, name: 'T', uniqueName: 'test-flow', category: 'workflow', primaryEntity: 'account' };

describe('validateDefinition', () => {
  it.each([
    'account-onboarding.workflow.yaml',
    'case-escalation.workflow.yaml',
    'credit-check.workflow.yaml',
    'customer-survey.dialog.yaml',
  ])('accepts the example %s', (file) => {
    expect(validateDefinition(example(file), DEFAULT_ENTITIES)).toEqual([]);
  });

  it('names an unknown entity and attribute with the nearest names', () => {
    expect(
      validateDefinition(
        { ...base, primaryEntity: 'acount', steps: [{ id: 'a', type: 'createRecord', entity: 'task', set: { subjct: 'x' } }] },
        DEFAULT_ENTITIES,
      ),
    ).toEqual([
      { path: '$.primaryEntity', message: "no entity 'acount'; did you mean 'account'?", code: 'UNKNOWN_ENTITY' },
      {
        path: '$.steps[0].set.subjct',
        message: "entity 'task' has no attribute 'subjct'; did you mean 'subject'?",
        code: 'UNKNOWN_ATTRIBUTE',
      },
    ]);
  });

  it('names both types on a mismatch, and checks trigger attributes', () => {
    expect(
      validateDefinition(
        {
          ...base,
          triggers: [{ on: 'update', attributes: ['creditlimt'] }],
          steps: [{ id: 'a', type: 'updateRecord', set: { creditlimit: 'lots' } }],
        },
        DEFAULT_ENTITIES,
      ),
    ).toEqual([
      {
        path: '$.triggers[0].attributes[0]',
        message: "entity 'account' has no attribute 'creditlimt'; did you mean 'creditlimit'?",
        code: 'UNKNOWN_ATTRIBUTE',
      },
      { path: '$.steps[0].set.creditlimit', message: "attribute 'creditlimit' of account is money; got a string", code: 'TYPE_MISMATCH' },
    ]);
  });

  it('finds duplicate ids, unreachable steps, waits in real time, self-starting children and bad expressions', () => {
    const errors = validateDefinition(
      {
        ...base,
        mode: 'realTime',
        steps: [
          { id: 'a', type: 'waitCondition', until: 'record.statecode == 1' },
          { id: 'b', type: 'condition', branches: [{ when: 'record.creditlimit >', steps: [] }] },
          { id: 'c', type: 'startChild', workflow: 'test-flow' },
          { id: 'd', type: 'stop' },
          { id: 'a', type: 'stop' },
        ],
      },
      DEFAULT_ENTITIES,
    );
    expect(errors).toEqual([
      {
        path: '$.steps[0].type',
        message: "a real-time workflow cannot wait ('waitCondition'): it runs inside the operation; use mode background",
        code: 'WAIT_IN_REAL_TIME',
      },
      {
        path: '$.steps[1].branches[0].when',
        message: 'the expression does not parse: at 1:20: found > but expecting end of input',
        code: 'EXPRESSION_ERROR',
      },
      { path: '$.steps[2].workflow', message: "'test-flow' starts itself: a child-workflow cycle", code: 'CHILD_CYCLE' },
      { path: '$.steps[4]', message: "step 'a' can never run: it comes after 'd', which ends the workflow", code: 'UNREACHABLE' },
      { path: '$.steps[4].id', message: "the step id 'a' is already used at $.steps[0]", code: 'DUPLICATE_ID' },
    ]);
  });

  it('keeps dialog steps out of workflows and the other way round', () => {
    expect(
      validateDefinition({ ...base, steps: [{ id: 'p', type: 'page', prompts: [{ id: 'q', text: 'Hi' }] }] }, DEFAULT_ENTITIES),
    ).toEqual([{ path: '$.steps[0].type', message: "'page' is a dialog step; workflows cannot use it", code: 'WRONG_CATEGORY' }]);
    expect(
      validateDefinition(
        { ...base, category: 'dialog', triggers: [{ on: 'create' }], steps: [{ id: 'w', type: 'waitTimeout', duration: 'P1D' }] },
        DEFAULT_ENTITIES,
      ),
    ).toEqual([
      { path: '$.triggers', message: 'dialogs are started by people, not by events: remove the triggers', code: 'DIALOG_TRIGGERS' },
      { path: '$.steps[0].type', message: "'waitTimeout' is a workflow step; dialogs cannot use it", code: 'WRONG_CATEGORY' },
    ]);
  });

  it('checks lookups, states, timeouts, trigger attributes, queries and dialog links', () => {
    expect(
      validateDefinition(
        {
          ...base,
          triggers: [{ on: 'create', attributes: ['name'] }],
          steps: [
            { id: 'a', type: 'updateRecord', record: { lookup: 'name' }, set: { x: 1 } },
            { id: 'b', type: 'setState', state: 7 },
            { id: 'c', type: 'setState', record: { lookup: 'primarycontactid' }, state: 0 },
            { id: 'd', type: 'waitTimeout' },
          ],
        },
        DEFAULT_ENTITIES,
      ),
    ).toEqual([
      { path: '$.triggers[0].attributes', message: 'only update triggers have attributes, not create', code: 'TRIGGER_ATTRIBUTES' },
      { path: '$.steps[0].record.lookup', message: "'name' is a string attribute, not a lookup", code: 'NOT_A_LOOKUP' },
      { path: '$.steps[1].state', message: 'expected one of 0 (Active), 1 (Inactive), got 7', code: 'OPTION' },
      {
        path: '$.steps[3]',
        message: 'a waitTimeout takes either duration (e.g. P3D) or until (an expression giving a date)',
        code: 'WAIT_TIMEOUT',
      },
    ]);
    const user = { ...base, primaryEntity: 'systemuser' };
    expect(validateDefinition({ ...user, steps: [{ id: 's', type: 'setState', state: 0 }] }, DEFAULT_ENTITIES)).toEqual([
      { path: '$.steps[0].state', message: "entity 'systemuser' has no state", code: 'NO_STATE' },
    ]);
    const dialog = { ...base, category: 'dialog', uniqueName: 'loop-dialog' };
    expect(
      validateDefinition(
        {
          ...dialog,
          steps: [
            { id: 'q', type: 'queryData', entity: 'contacts', saveAs: 'found' },
            { id: 'l', type: 'linkChildDialog', dialog: 'loop-dialog' },
          ],
        },
        DEFAULT_ENTITIES,
      ),
    ).toEqual([
      { path: '$.steps[0].entity', message: "no entity 'contacts'; did you mean 'contact'?", code: 'UNKNOWN_ENTITY' },
      { path: '$.steps[1].dialog', message: "'loop-dialog' links to itself: a child-dialog cycle", code: 'CHILD_CYCLE' },
    ]);
  });

  it("checks a page's prompts: unique ids and option values, and choices for every optionSet", () => {
    const dialog = { ...base, category: 'dialog', uniqueName: 'prompts-dialog', primaryEntity: 'contact' };
    const page = (prompts: unknown[], before: unknown[] = []) =>
      validateDefinition({ ...dialog, steps: [...before, { id: 'p', type: 'page', prompts }] }, DEFAULT_ENTITIES);
    expect(
      page([
        { id: 'a', text: 'A?', response: { type: 'optionSet' } },
        { id: 'a', text: 'Again?', response: { type: 'text', options: [{ value: 1, label: 'One' }] } },
        {
          id: 'c',
          text: 'C?',
          response: {
            type: 'optionSet',
            options: [
              { value: 1, label: 'One' },
              { value: '1', label: 'Uno' },
            ],
          },
        },
      ]),
    ).toEqual([
      {
        path: '$.steps[0].prompts[0].response.options',
        message: 'an optionSet response needs options (each a value and a label) or optionsFrom (the records of a queryData step)',
        code: 'NO_OPTIONS',
      },
      { path: '$.steps[0].prompts[1].id', message: "the prompt id 'a' is already used on this page at prompts[0]", code: 'DUPLICATE_ID' },
      {
        path: '$.steps[0].prompts[1].response.options',
        message: 'only optionSet responses have options; this response is text',
        code: 'OPTIONS_FROM',
      },
      {
        path: '$.steps[0].prompts[2].response.options[1].value',
        message: "the option value '1' is already used by another option",
        code: 'DUPLICATE_OPTION',
      },
    ]);
  });

  it('takes choices from the records of a queryData step that comes before the page', () => {
    const dialog = { ...base, category: 'dialog', uniqueName: 'choices-dialog', primaryEntity: 'contact' };
    const query = { id: 'q', type: 'queryData', entity: 'incident', saveAs: 'openCases' };
    const withPage = (prompts: unknown[], steps: unknown[]) => ({ ...dialog, steps: [...steps, { id: 'p', type: 'page', prompts }] });
    const check = (prompts: unknown[], steps: unknown[] = [query]) => validateDefinition(withPage(prompts, steps), DEFAULT_ENTITIES);
    expect(
      check([
        { id: 'a', text: 'A?', response: { type: 'lookup', optionsFrom: 'openCases' } },
        { id: 'b', text: 'B?', response: { type: 'optionSet', optionsFrom: { query: 'openCases', label: 'title' } } },
      ]),
    ).toEqual([]);
    expect(
      check([
        { id: 'a', text: 'A?', response: { type: 'lookup', optionsFrom: 'openCase' } },
        { id: 'b', text: 'B?', response: { type: 'optionSet', optionsFrom: { query: 'openCases', label: 'titel' } } },
        { id: 'c', text: 'C?', response: { type: 'text', optionsFrom: 'openCases' } },
        { id: 'd', text: 'D?', response: { type: 'optionSet', options: [{ value: 1, label: 'One' }], optionsFrom: 'openCases' } },
      ]),
    ).toEqual([
      {
        path: '$.steps[1].prompts[0].response.optionsFrom',
        message: "no queryData step before this page saves its records as 'openCase'; did you mean 'openCases'?",
        code: 'UNKNOWN_QUERY',
      },
      {
        path: '$.steps[1].prompts[1].response.optionsFrom.label',
        message: "entity 'incident' has no attribute 'titel'; did you mean 'title'?",
        code: 'UNKNOWN_ATTRIBUTE',
      },
      {
        path: '$.steps[1].prompts[2].response.optionsFrom',
        message: 'only optionSet and lookup responses take their choices from a query, not text',
        code: 'OPTIONS_FROM',
      },
      { path: '$.steps[1].prompts[3].response', message: 'give either options or optionsFrom, not both', code: 'OPTIONS_FROM' },
    ]);
    // The query must come first: a page cannot offer records not yet fetched.
    expect(
      validateDefinition(
        {
          ...dialog,
          steps: [
            { id: 'p', type: 'page', prompts: [{ id: 'a', text: 'A?', response: { type: 'lookup', optionsFrom: 'openCases' } }] },
            query,
          ],
        },
        DEFAULT_ENTITIES,
      ),
    ).toEqual([
      {
        path: '$.steps[0].prompts[0].response.optionsFrom',
        message: "no queryData step before this page saves its records as 'openCases'",
        code: 'UNKNOWN_QUERY',
      },
    ]);
    // Compiled, the runtime has what it needs without metadata: the entity, its id attribute and the label.
    const compiled = compileDefinition(
      withPage(
        [
          { id: 'a', text: 'A?', response: { type: 'lookup', optionsFrom: 'openCases' } },
          { id: 'b', text: 'B?', response: { type: 'optionSet', optionsFrom: { query: 'openCases', label: 'ticketnumber' } } },
        ],
        [query],
      ),
      DEFAULT_ENTITIES,
    );
    const prompts = (compiled.definition.steps[1] as unknown as { prompts: Array<{ response: { optionsFrom: unknown } }> }).prompts;
    expect(prompts.map((prompt) => prompt.response.optionsFrom)).toEqual([
      { query: 'openCases', entity: 'incident', idAttribute: 'incidentid', label: 'title' },
      { query: 'openCases', entity: 'incident', idAttribute: 'incidentid', label: 'ticketnumber' },
    ]);
  });

  it('reports shape errors with their paths', () => {
    expect(validateDefinition({ ...base, steps: [{ id: 'x', type: 'teleport' }] }, DEFAULT_ENTITIES)).toEqual([
      {
        path: '$.steps[0].type',
        message: 'expected a step type such as condition, createRecord, updateRecord, waitCondition, stop, page',
        code: 'INVALID',
      },
    ]);
    expect(validateDefinition({ ...base, steps: [] }, DEFAULT_ENTITIES)).toEqual([
      { path: '$.steps', message: 'a definition needs at least one step', code: 'INVALID' },
    ]);
  });
});

describe('compileDefinition', () => {
  it('gives an immutable form with triggers, referenced entities and a stable content hash', () => {
    const compiled = compileDefinition(example('account-onboarding.workflow.yaml'), DEFAULT_ENTITIES);
    expect(subscriptionsOf(compiled)).toEqual([{ message: 'Create', entity: 'account', attributes: [] }]);
    expect(compiled.referencedEntities).toEqual(['account', 'task']);
    expect(compiled.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.isFrozen(compiled.definition.steps[0])).toBe(true);
    // Key order does not change the hash; content does.
    const reordered = JSON.parse(canonicalJson(example('account-onboarding.workflow.yaml'))) as Record<string, unknown>;
    expect(compileDefinition(reordered, DEFAULT_ENTITIES).contentHash).toBe(compiled.contentHash);
    expect(compileDefinition({ ...reordered, name: 'Renamed' }, DEFAULT_ENTITIES).contentHash).not.toBe(compiled.contentHash);
  });

  it('refuses an invalid definition with every error', () => {
    expect(() =>
      compileDefinition({ ...base, steps: [{ id: 'a', type: 'createRecord', entity: 'nothing', set: {} }] }, DEFAULT_ENTITIES),
    ).toThrow(new DefinitionInvalidError([{ path: '$.steps[0].entity', message: "no entity 'nothing'", code: 'UNKNOWN_ENTITY' }]));
  });
});

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
    'stale-case-sweep.workflow.yaml',
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

describe('validateDefinition reports every error at once', () => {
  it('reports all seven mistakes of a definition, each at its path, shape errors and the others alike', () => {
    const errors = validateDefinition(
      {
        ...base,
        steps: [
          { id: 'a', type: 'createRecord', entity: 'task' },
          { id: 'b', type: 'setState', state: 'closed' },
          { id: 'c', type: 'createRecord', entity: 'tsk', set: {} },
          { id: 'd', type: 'updateRecord', set: { creditlimt: 1 } },
          {
            id: 'e',
            type: 'condition',
            branches: [
              {
                when: 'record.name ==',
                steps: [{ id: 'f', type: 'createRecord', entity: 'task', set: { subject: 'Hi {{recrd.name}}' } }],
              },
            ],
          },
          { id: 'g', type: 'sendEmail', to: 'x', subject: 'Hello {{record.name', body: '' },
        ],
      },
      DEFAULT_ENTITIES,
    );
    expect(errors.map((error) => [error.path, error.code])).toEqual([
      ['$.steps[0].set', 'REQUIRED'],
      ['$.steps[1].state', 'REQUIRED'],
      ['$.steps[2].entity', 'UNKNOWN_ENTITY'],
      ['$.steps[3].set.creditlimt', 'UNKNOWN_ATTRIBUTE'],
      ['$.steps[4].branches[0].when', 'EXPRESSION_ERROR'],
      ['$.steps[4].branches[0].steps[0].set.subject', 'UNKNOWN_VARIABLE'],
      ['$.steps[5].subject', 'TEMPLATE_UNCLOSED'],
    ]);
  });

  it('still checks the steps inside a container whose own shape is wrong', () => {
    const errors = validateDefinition(
      { ...base, steps: [{ id: 's', type: 'stage', steps: [{ id: 'x', type: 'createRecord', entity: 'tsk', set: {} }] }] },
      DEFAULT_ENTITIES,
    );
    expect(errors.map((error) => [error.path, error.code])).toEqual([
      ['$.steps[0].name', 'REQUIRED'],
      ['$.steps[0].steps[0].entity', 'UNKNOWN_ENTITY'],
    ]);
  });

  it('checks the header and the steps together', () => {
    const errors = validateDefinition(
      { ...base, scope: 'galaxy', steps: [{ id: 'x', type: 'createRecord', entity: 'tsk', set: {} }] },
      DEFAULT_ENTITIES,
    );
    expect(errors.map((error) => [error.path, error.code])).toEqual([
      ['$.scope', 'INVALID'],
      ['$.steps[0].entity', 'UNKNOWN_ENTITY'],
    ]);
  });
});

describe('validateDefinition checks what expressions and templates read', () => {
  const check = (steps: unknown[], extra: Record<string, unknown> = {}) =>
    validateDefinition({ ...base, ...extra, steps }, DEFAULT_ENTITIES);
  const task = (subject: string) => ({ id: 't', type: 'createRecord', entity: 'task', set: { subject } });

  it('refuses an unknown variable in a template, with the nearest name', () => {
    expect(check([task('Hi {{recrd.name}}')])).toEqual([
      {
        path: '$.steps[0].set.subject',
        message:
          "'recrd.name' reads 'recrd', which is not a variable here; did you mean 'record'? (a workflow reads record, pre, changed, steps, inputs, trigger, now)",
        code: 'UNKNOWN_VARIABLE',
      },
    ]);
  });

  it('refuses an unclosed {{ on save', () => {
    expect(check([task('Hi {{record.name')])).toEqual([
      {
        path: '$.steps[0].set.subject',
        message: "'Hi {{record.name' has a '{{' without its '}}': write {{expression}}, e.g. {{record.name}}",
        code: 'TEMPLATE_UNCLOSED',
      },
    ]);
  });

  it('refuses an attribute the record does not have, in expressions and conditions', () => {
    expect(
      check([task('=record.emailadress1'), { id: 'c', type: 'condition', branches: [{ when: 'has(record.creditlimt)', steps: [] }] }]),
    ).toEqual([
      {
        path: '$.steps[0].set.subject',
        message:
          "'record.emailadress1' reads record.emailadress1, but entity 'account' has no attribute 'emailadress1'; did you mean 'emailaddress1'?",
        code: 'UNKNOWN_ATTRIBUTE',
      },
      {
        path: '$.steps[1].branches[0].when',
        message:
          "'has(record.creditlimt)' reads record.creditlimt, but entity 'account' has no attribute 'creditlimt'; did you mean 'creditlimit'?",
        code: 'UNKNOWN_ATTRIBUTE',
      },
    ]);
  });

  it('reads a wait on a related record against that record’s entity', () => {
    expect(
      check([
        {
          id: 'w',
          type: 'waitCondition',
          record: { lookup: 'primarycontactid' },
          until: 'record.lastname == "x" && record.creditlimit > 1',
        },
      ]),
    ).toEqual([
      {
        path: '$.steps[0].until',
        message: expect.stringContaining("entity 'contact' has no attribute 'creditlimit'"),
        code: 'UNKNOWN_ATTRIBUTE',
      },
    ]);
  });

  it('refuses steps, inputs, variables and answers that do not exist, and accepts those that do', () => {
    expect(check([task('{{steps.nope.id}} {{inputs.reason}} {{vars.n}}')]).map((error) => error.code)).toEqual([
      'UNKNOWN_STEP',
      'UNKNOWN_INPUT',
      'UNKNOWN_VARIABLE',
    ]);
    expect(
      check([task('{{steps.t.id}} {{inputs.reason}} {{record.ref.id}} {{now}} {{size(changed)}}')], {
        inputs: [{ name: 'reason', type: 'string' }],
      }),
    ).toEqual([]);
    const dialog = { category: 'dialog', uniqueName: 'reads-dialog', primaryEntity: 'contact' };
    expect(
      check(
        [
          { id: 'p', type: 'page', prompts: [{ id: 'q', text: 'Why, {{record.firstname}}?', response: { type: 'text' } }] },
          { id: 'v', type: 'assignValue', variable: 'n', value: '=answers.q' },
          { id: 'r', type: 'page', title: '{{vars.n}} {{answers.z}}', prompts: [{ id: 'z', text: '{{vars.m}}' }] },
        ],
        dialog,
      ).map((error) => [error.path, error.code]),
    ).toEqual([['$.steps[2].prompts[0].text', 'UNKNOWN_VARIABLE']]);
  });

  it('leaves the variables a list macro binds alone', () => {
    expect(check([task('=changed.filter(name, name.startsWith("credit")).map(x, x + "!").join(",")')])).toEqual([]);
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

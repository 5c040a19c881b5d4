/**
 * Null semantics: an attribute the entity defines but the record lacks reads as null, a
 * template renders it as empty text, CEL sees it as absent; the examples run on records with
 * only their required attributes set.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { compileDefinition, parseSource, type CompiledDefinition } from '@flowline/process-model';
import { advance } from './advance';
import type { Advance, Effect, Input } from './types';

const example = (file: string): CompiledDefinition => {
  const parsed = parseSource(readFileSync(path.resolve(__dirname, '../../../../examples', file), 'utf8'), 'yaml');
  if (!parsed.ok) throw new Error(parsed.errors[0]!.message);
  return compileDefinition(parsed.value, DEFAULT_ENTITIES);
};
const workflow = (steps: unknown[], primaryEntity = 'contact') =>
  compileDefinition({ schemaVersion: 1, name: 'T', uniqueName: 'test', category: 'workflow', primaryEntity, steps }, DEFAULT_ENTITIES);
const now = '2026-11-25T10:00:00.000Z';
const start = (record: Record<string, unknown>): Input => ({ type: 'start', operationId: 'op-1', now, depth: 1, record: record as never });

/** Runs a workflow to its end, answering every record message with success and the record as the gateway would leave it. */
function runToEnd(compiled: CompiledDefinition, record: Record<string, unknown>): { effects: Effect[]; last: Advance } {
  let step = advance(compiled, undefined, start(record));
  const effects: Effect[] = [...step.effects];
  for (let guard = 0; guard < 50 && step.state.status === 'running'; guard++) {
    const effect = step.effects.at(-1)!;
    step = advance(compiled, step.state, { type: 'effectResult', effectId: (effect as { effectId: string }).effectId, ok: true, now });
    effects.push(...step.effects);
  }
  return { effects, last: step };
}

const contact = { ref: { entity: 'contact', id: 'c1' }, lastname: 'Adams' };

describe('null semantics', () => {
  it('renders an attribute the record lacks as empty text in a template', () => {
    const compiled = workflow([
      { id: 'note', type: 'createRecord', entity: 'task', set: { subject: 'Call {{record.firstname}} {{record.lastname}}' } },
    ]);
    const first = advance(compiled, undefined, start(contact));
    expect(first.effects).toMatchObject([{ type: 'executeMessage', target: { subject: 'Call  Adams' } }]);
  });

  it('gives null to an expression reading an unset attribute, and has() is false for it', () => {
    const compiled = workflow([
      {
        id: 'note',
        type: 'createRecord',
        entity: 'task',
        set: {
          subject: '=has(record.firstname) ? record.firstname : "no first name"',
          description: '=record.emailaddress1',
        },
      },
    ]);
    const first = advance(compiled, undefined, start(contact));
    expect(first.effects).toMatchObject([{ type: 'executeMessage', target: { subject: 'no first name', description: null } }]);
  });

  it('decides a condition on an unset attribute instead of failing the run', () => {
    const compiled = workflow([
      {
        id: 'which',
        type: 'condition',
        branches: [{ when: 'record.jobtitle == "CEO"', steps: [{ id: 'vip', type: 'stop', message: 'vip' }] }],
        otherwise: [{ id: 'plain', type: 'stop', message: 'plain' }],
      },
    ]);
    expect(advance(compiled, undefined, start(contact)).effects).toEqual([{ type: 'complete', outcome: 'succeeded', message: 'plain' }]);
    expect(advance(compiled, undefined, start({ ...contact, jobtitle: 'CEO' })).effects).toEqual([
      { type: 'complete', outcome: 'succeeded', message: 'vip' },
    ]);
  });

  it('treats an attribute set to null like one never set', () => {
    const compiled = workflow([
      {
        id: 'which',
        type: 'condition',
        branches: [{ when: 'has(record.firstname)', steps: [{ id: 'named', type: 'stop', message: 'named' }] }],
        otherwise: [{ id: 'unnamed', type: 'stop', message: 'unnamed' }],
      },
    ]);
    expect(advance(compiled, undefined, start({ ...contact, firstname: null })).effects).toEqual([
      { type: 'complete', outcome: 'succeeded', message: 'unnamed' },
    ]);
  });

  it('reads a declared input the caller did not pass as null', () => {
    const compiled = compileDefinition(
      {
        schemaVersion: 1,
        name: 'Child',
        uniqueName: 'child',
        category: 'workflow',
        primaryEntity: 'contact',
        availableAsChild: true,
        inputs: [{ name: 'reason', type: 'string' }],
        steps: [{ id: 'note', type: 'createRecord', entity: 'task', set: { subject: 'Because {{inputs.reason}}.' } }],
      },
      DEFAULT_ENTITIES,
    );
    expect(advance(compiled, undefined, start(contact)).effects).toMatchObject([{ target: { subject: 'Because .' } }]);
  });
});

describe('the examples on minimal records (only required attributes set)', () => {
  it('account onboarding: an account with only a name and a credit limit runs to success, without a welcome email', () => {
    const { effects } = runToEnd(example('account-onboarding.workflow.yaml'), {
      ref: { entity: 'account', id: 'a1' },
      name: 'Contoso',
      creditlimit: 5000,
    });
    expect(effects.map((e) => (e.type === 'executeMessage' ? `${e.stepId}: ${e.message} ${e.entity}` : e.type))).toEqual([
      'follow-up: Create task',
      'mark-started: Update account',
      'done: Update account',
      'complete',
    ]);
    expect(effects.at(-1)).toEqual({ type: 'complete', outcome: 'succeeded', message: '' });
  });

  it('account onboarding: an account with only its name set also runs to success', () => {
    const { effects } = runToEnd(example('account-onboarding.workflow.yaml'), { ref: { entity: 'account', id: 'a1' }, name: 'Contoso' });
    expect(effects.at(-1)).toEqual({ type: 'complete', outcome: 'succeeded', message: '' });
  });

  it('case escalation: a case with only a title waits for its resolution or the timer', () => {
    const first = advance(
      example('case-escalation.workflow.yaml'),
      undefined,
      start({ ref: { entity: 'incident', id: 'i1' }, title: 'Printer' }),
    );
    expect(first.effects).toEqual([
      {
        type: 'wait',
        stepId: 'resolved-or-late',
        subscriptions: [{ entity: 'incident', recordId: 'i1' }],
        timer: '2026-11-28T10:00:00.000Z',
      },
    ]);
  });

  it('credit check: an opportunity without a customer waits for the officer or the timer, not for a customer', () => {
    const compiled = example('credit-check.workflow.yaml');
    const created = advance(compiled, undefined, start({ ref: { entity: 'opportunity', id: 'o1' }, name: 'Deal' }));
    expect(created.effects).toMatchObject([
      { type: 'executeMessage', stepId: 'open-review', target: { subject: 'Credit review for Deal' } },
    ]);
    const waiting = advance(compiled, created.state, { type: 'effectResult', effectId: 'op-1:$.steps[0]', ok: true, now });
    expect(waiting.effects).toEqual([
      {
        type: 'wait',
        stepId: 'first-decision',
        subscriptions: [{ entity: 'opportunity', recordId: 'o1' }],
        timer: '2026-11-30T10:00:00.000Z',
      },
    ]);
    const approved = advance(compiled, waiting.state, {
      type: 'wakeUp',
      now,
      record: { ref: { entity: 'opportunity', id: 'o1' }, name: 'Deal', closeprobability: 60 },
    });
    expect(approved.effects).toMatchObject([{ type: 'executeMessage', stepId: 'note-approval' }]);
  });

  it('customer survey: a contact with only a last name gets its pages, and an unhappy answer opens a case named after it', () => {
    const survey = example('customer-survey.dialog.yaml');
    const first = advance(survey, undefined, start(contact));
    expect(first.effects).toMatchObject([{ type: 'showPage', stepId: 'satisfaction', prompts: [{ text: 'How satisfied are you?' }] }]);
    const unhappy = advance(survey, first.state, { type: 'pageAnswers', pageId: 'satisfaction', answers: { score: 1 }, now });
    expect(unhappy.effects).toMatchObject([{ type: 'showPage', stepId: 'what-went-wrong' }]);
    const details = advance(survey, unhappy.state, { type: 'pageAnswers', pageId: 'what-went-wrong', answers: { details: 'Late' }, now });
    expect(details.effects).toMatchObject([
      {
        type: 'executeMessage',
        stepId: 'open-case',
        target: { title: 'Unhappy customer Adams', description: 'Late', customerid: { entity: 'contact', id: 'c1' } },
      },
    ]);
  });

  it('customer survey: a contact with a first name is greeted by it', () => {
    const first = advance(example('customer-survey.dialog.yaml'), undefined, start({ ...contact, firstname: 'Ada' }));
    expect(first.effects).toMatchObject([{ type: 'showPage', prompts: [{ text: 'How satisfied are you, Ada?' }] }]);
  });
});

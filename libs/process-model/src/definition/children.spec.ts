import { checkChildren, childNames, childSummary, type ChildSummary } from './children';

const parent = (steps: unknown[], extra: Record<string, unknown> = {}) => ({
  schemaVersion: 1,
  name: 'P',
  uniqueName: 'parent',
  category: 'workflow',
  primaryEntity: 'account',
  steps,
  ...extra,
});
const known: Record<string, ChildSummary> = {
  'notify-owner': childSummary({
    uniqueName: 'notify-owner',
    category: 'workflow',
    primaryEntity: 'account',
    availableAsChild: true,
    inputs: [
      { name: 'reason', type: 'string', required: true },
      { name: 'urgent', type: 'boolean' },
    ],
  }),
  private: childSummary({ uniqueName: 'private', category: 'workflow', primaryEntity: 'account' }),
  'contact-flow': childSummary({ uniqueName: 'contact-flow', category: 'workflow', primaryEntity: 'contact', availableAsChild: true }),
  survey: childSummary({ uniqueName: 'survey', category: 'dialog', primaryEntity: 'account' }),
};
const find = (name: string) => known[name];

describe('checkChildren', () => {
  it('accepts a child that exists, is available as a child, runs on the same entity and gets its required inputs', () => {
    expect(
      checkChildren(parent([{ id: 'c', type: 'startChild', workflow: 'notify-owner', inputs: { reason: 'x', urgent: true } }]), find),
    ).toEqual([]);
  });

  it('refuses an unknown child, a private one, one on another entity and a dialog, each at the path of its step', () => {
    const errors = checkChildren(
      parent([
        { id: 'a', type: 'startChild', workflow: 'nowhere' },
        { id: 's', type: 'stage', name: 'S', steps: [{ id: 'b', type: 'startChild', workflow: 'private' }] },
        { id: 'c', type: 'startChild', workflow: 'contact-flow' },
        { id: 'd', type: 'startChild', workflow: 'survey' },
      ]),
      find,
    );
    expect(errors).toEqual([
      {
        path: '$.steps[0].workflow',
        message: "step 'a' starts 'nowhere', but no workflow is named so: save it first",
        code: 'UNKNOWN_CHILD',
      },
      {
        path: '$.steps[1].steps[0].workflow',
        message: "'private' is not available as a child workflow: set availableAsChild: true on it to let other workflows start it",
        code: 'NOT_AVAILABLE_AS_CHILD',
      },
      {
        path: '$.steps[2].workflow',
        message: "'contact-flow' runs on contact records, but this step passes it the account record the workflow runs on",
        code: 'CHILD_ENTITY_MISMATCH',
      },
      { path: '$.steps[3].workflow', message: "'survey' is a dialog, not a workflow: startChild starts workflows", code: 'NOT_A_WORKFLOW' },
    ]);
  });

  it('refuses inputs the child does not declare and a missing required one', () => {
    expect(checkChildren(parent([{ id: 'c', type: 'startChild', workflow: 'notify-owner', inputs: { reasn: 'x' } }]), find)).toEqual([
      {
        path: '$.steps[0].inputs.reasn',
        message: "'notify-owner' declares no input 'reasn' (it declares reason, urgent)",
        code: 'UNKNOWN_CHILD_INPUT',
      },
      { path: '$.steps[0].inputs', message: "'notify-owner' requires the input 'reason': pass it in inputs", code: 'CHILD_INPUT_REQUIRED' },
    ]);
  });

  it('checks linked dialogs: they exist and are dialogs', () => {
    const dialog = parent(
      [
        { id: 'p', type: 'page', prompts: [{ id: 'q', text: 'Q' }] },
        { id: 'l', type: 'linkChildDialog', dialog: 'private' },
      ],
      { category: 'dialog' },
    );
    expect(checkChildren(dialog, find)).toEqual([
      { path: '$.steps[1].dialog', message: "'private' is a workflow, not a dialog: linkChildDialog links dialogs", code: 'NOT_A_DIALOG' },
    ]);
    expect(childNames(dialog)).toEqual(['private']);
  });

  it('leaves a step starting its own definition to the cycle check of validation', () => {
    expect(checkChildren(parent([{ id: 'a', type: 'startChild', workflow: 'parent' }]), find)).toEqual([]);
  });
});

import type { RegistryProto } from '@flowline/rpc';
import { resolveSubscriptions, type ActiveWorkflow } from './subscription-resolution';

let sequence = 0;
function step(name: string, overrides: Partial<RegistryProto.StepRegistration> = {}): RegistryProto.StepRegistration {
  sequence += 1;
  return {
    id: name,
    name,
    message: 'Update',
    primaryEntity: 'account',
    stage: 40,
    mode: 0,
    rank: 1,
    filteringAttributes: [],
    images: [],
    enabled: true,
    unsecureConfiguration: '',
    secureConfiguration: '',
    hasSecureConfiguration: false,
    registeredOn: '',
    registrationSequence: String(sequence),
    rowVersion: 1,
    ...overrides,
  };
}

const workflow = (uniqueName: string, activatedOn: string, triggers: ActiveWorkflow['triggers']): ActiveWorkflow => ({
  definitionId: uniqueName,
  uniqueName,
  version: 1,
  contentHash: 'h',
  mode: 0,
  category: 0,
  primaryEntity: 'account',
  activatedOn,
  triggers,
});

describe('resolveSubscriptions', () => {
  const steps = [
    step('post rank 2', { rank: 2 }),
    step('pre-validation', { stage: 10 }),
    step('post rank 1 a'),
    step('post rank 1 b'),
    step('async on credit', { mode: 1, filteringAttributes: ['creditlimit'] }),
    step('any entity', { primaryEntity: '', rank: 0 }),
    step('disabled', { enabled: false }),
    step('create', { message: 'Create' }),
    step('contact', { primaryEntity: 'contact' }),
  ];

  it('orders by stage, rank, then registration sequence and keeps only matching, enabled steps', () => {
    const resolved = resolveSubscriptions(steps, [], 'Update', 'account', ['creditlimit']);
    expect(resolved.synchronous.map((s) => [s.stage, s.steps.map((x) => x.name)])).toEqual([
      [10, ['pre-validation']],
      [20, []],
      [40, ['any entity', 'post rank 1 a', 'post rank 1 b', 'post rank 2']],
    ]);
    expect(resolved.asynchronous.map((s) => s.name)).toEqual(['async on credit']);
  });

  it('compares registration sequences as integers, not as text', () => {
    const late = step('late', { registrationSequence: '10' });
    const early = step('early', { registrationSequence: '9' });
    expect(resolveSubscriptions([late, early], [], 'Update', 'account', []).synchronous[2]!.steps.map((s) => s.name)).toEqual([
      'early',
      'late',
    ]);
  });

  it('starts an Update workflow only when one of its attributes changed, in activation order', () => {
    const workflows = [
      workflow('on credit', '2026-01-02T00:00:00Z', [{ message: 'Update', entity: 'account', attributes: ['creditlimit'] }]),
      workflow('on any update', '2026-01-01T00:00:00Z', [{ message: 'Update', entity: 'account', attributes: [] }]),
      workflow('on create', '2026-01-01T00:00:00Z', [{ message: 'Create', entity: 'account', attributes: [] }]),
    ];
    expect(resolveSubscriptions([], workflows, 'Update', 'account', ['creditlimit']).workflows.map((w) => w.uniqueName)).toEqual([
      'on any update',
      'on credit',
    ]);
    expect(resolveSubscriptions([], workflows, 'Update', 'account', ['name']).workflows.map((w) => w.uniqueName)).toEqual([
      'on any update',
    ]);
    expect(resolveSubscriptions([], workflows, 'Create', 'account', []).workflows.map((w) => w.uniqueName)).toEqual(['on create']);
  });
});

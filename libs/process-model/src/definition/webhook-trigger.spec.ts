import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { compileDefinition, subscriptionsOf } from './compile';
import { webhookSecretVariable } from './steps';
import { validateDefinition } from './validate';

const base = {
  schemaVersion: 1,
  name: 'Orders',
  uniqueName: 'order-intake',
  category: 'workflow',
  primaryEntity: 'account',
  inputs: [
    { name: 'accountid', type: 'string', required: true },
    { name: 'note', type: 'string' },
  ],
  steps: [{ id: 'note', type: 'updateRecord', set: { description: '{{inputs.note}}' } }],
};

describe('on: webhook triggers', () => {
  it('are accepted with their defaults, and become no subscription', () => {
    const definition = { ...base, triggers: [{ on: 'webhook', secret: 'orders-hook', record: 'accountid' }, { on: 'create' }] };
    expect(validateDefinition(definition, DEFAULT_ENTITIES)).toEqual([]);
    const compiled = compileDefinition(definition, DEFAULT_ENTITIES);
    expect(compiled.definition.triggers[0]).toEqual({ on: 'webhook', auth: 'signature', secret: 'orders-hook', record: 'accountid' });
    expect(subscriptionsOf(compiled)).toEqual([{ message: 'Create', entity: 'account', attributes: [] }]);
  });

  it('refuse, at their paths: a bad path, auth or secret name, an undeclared record input, a second webhook, real-time mode', () => {
    expect(
      validateDefinition({ ...base, triggers: [{ on: 'webhook', path: 'Orders In', auth: 'basic', secret: 'X' }] }, DEFAULT_ENTITIES).map(
        (error) => error.path,
      ),
    ).toEqual(['$.triggers[0].path', '$.triggers[0].auth', '$.triggers[0].secret']);
    expect(
      validateDefinition(
        {
          ...base,
          mode: 'realTime',
          triggers: [
            { on: 'webhook', secret: 'orders-hook', record: 'acountid' },
            { on: 'webhook', secret: 'orders-hook', path: 'other' },
          ],
        },
        DEFAULT_ENTITIES,
      ).map((error) => [error.path, error.code]),
    ).toEqual(
      expect.arrayContaining([
        ['$.triggers[0].on', 'WEBHOOK_REAL_TIME'],
        ['$.triggers[0].record', 'UNKNOWN_INPUT'],
        ['$.triggers[1]', 'DUPLICATE_WEBHOOK'],
      ]),
    );
    expect(validateDefinition({ ...base, triggers: [{ on: 'hourly' }] }, DEFAULT_ENTITIES)).toEqual([
      { path: '$.triggers[0].on', message: 'expected create, update, delete, assign, statusChange, schedule or webhook', code: 'INVALID' },
    ]);
  });

  it('name their secret, which the gateway reads from WEBHOOK_SECRET_<NAME>', () => {
    expect(webhookSecretVariable('orders-hook')).toBe('WEBHOOK_SECRET_ORDERS_HOOK');
  });
});

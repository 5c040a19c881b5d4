import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { applyOperations, checkOperations } from './relative-operations';

const account = DEFAULT_ENTITIES.find((entity) => entity.logicalName === 'account')!;

describe('relative operations', () => {
  it('applies each operation to the stored value, counting a missing one as 0 or empty text', () => {
    const operations = checkOperations(
      account,
      'Update',
      {},
      {
        numberofemployees: { op: 'increment', value: 10 },
        creditlimit: { op: 'multiply', value: 3 },
        revenue: { op: 'decrement', value: 0.1 },
        description: { op: 'append', value: '!' },
      },
    );
    expect(applyOperations(account, { numberofemployees: 1, creditlimit: 0.1, revenue: 0.3 }, operations)).toEqual({
      numberofemployees: 11,
      creditlimit: 0.3,
      revenue: 0.2,
      description: '!',
    });
  });

  it('takes no operations on messages other than Update', () => {
    expect(() => checkOperations(account, 'Create', {}, { numberofemployees: { op: 'increment', value: 1 } })).toThrow(
      'relative operations apply to Update, not Create',
    );
    expect(checkOperations(account, 'Create', {}, {})).toEqual({});
  });
});

import { FlowlineError } from '@flowline/rpc';
import { BulkActionRoutes as R } from './bulk-actions.http.routes';

const refusalOf = (call: () => unknown): FlowlineError => {
  try {
    call();
  } catch (error) {
    if (error instanceof FlowlineError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('bulk action requests are read by their routes', () => {
  it('takes the list filters by their names and refuses a misspelt one at its field, never widening the set', () => {
    expect(R.start.parseBody({ action: 'cancel', filter: { state: [1, 3], name: 'quick-mark' }, dryRun: true })).toEqual({
      action: 'cancel',
      filter: { state: [1, 3], name: 'quick-mark' },
      dryRun: true,
    });
    const misspelt = refusalOf(() => R.start.parseBody({ action: 'delete', filter: { stat: 3 } }));
    expect(misspelt).toMatchObject({ kind: 'INVALID_ARGUMENT', code: 'BULK_INVALID' });
    expect(misspelt.violations).toEqual([expect.objectContaining({ field: 'filter.stat' })]);
    expect(misspelt.message).toContain('filter.stat: is not a filter');
  });

  it('refuses an unknown action, a filter that is no object and a dry run that is not true or false, all at once', () => {
    const refusal = refusalOf(() => R.start.parseBody({ action: 'explode', filter: [], dryRun: 'yes' }));
    expect(refusal.code).toBe('BULK_INVALID');
    expect(refusal.violations.map((v) => v.field)).toEqual(['action', 'filter', 'dryRun']);
    expect(refusalOf(() => R.start.parseBody({})).violations).toEqual([expect.objectContaining({ field: 'action' })]);
    // A null filter is refused: it must not read as {} (every operation).
    expect(refusalOf(() => R.start.parseBody({ action: 'delete', filter: null })).violations).toEqual([
      expect.objectContaining({ field: 'filter' }),
    ]);
  });

  it('leaves the meaning of filter values to the service (a state 9 passes the schema, FILTER_INVALID comes later)', () => {
    expect(R.start.parseBody({ action: 'cancel', filter: { state: [9], status: '30,31' } }).filter).toEqual({
      state: [9],
      status: '30,31',
    });
  });

  it('reads the items page and refuses a page size that is not a whole number at page.pageSize', () => {
    expect(R.items.parseQuery({ outcome: ['refused', 'applied'], pageSize: '10' })).toEqual({ outcome: 'refused', pageSize: 10 });
    const refusal = refusalOf(() => R.items.parseQuery({ pageSize: 'ten' }));
    expect(refusal.code).toBe('PAGE_SIZE_INVALID');
    expect(refusal.violations).toEqual([{ field: 'page.pageSize', description: 'expected a whole number', code: 'PAGE_SIZE' }]);
  });
});

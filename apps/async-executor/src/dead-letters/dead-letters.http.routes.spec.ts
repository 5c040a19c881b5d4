import { FlowlineError } from '@flowline/rpc';
import { DeadLetterRoutes as R } from './dead-letters.http.routes';

const refusalOf = (call: () => unknown): FlowlineError => {
  try {
    call();
  } catch (error) {
    if (error instanceof FlowlineError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('dead-letter requests are read by their routes', () => {
  it('reads the listing filters as text (a repeated one by its first value) and the page size as a number', () => {
    expect(R.list.parseQuery({ topic: ['flowline.domain-events.v1', 'other'], status: 'pending', pageSize: '2' })).toEqual({
      topic: 'flowline.domain-events.v1',
      status: 'pending',
      pageSize: 2,
    });
    // What a status or a time means is the service's to say (FILTER_INVALID, as over gRPC).
    expect(R.list.parseQuery({ status: 'lost', failedAfter: 'yesterday' })).toEqual({ status: 'lost', failedAfter: 'yesterday' });
  });

  it('refuses a page size that is not a whole number as PAGE_SIZE_INVALID at pageSize', () => {
    const refusal = refusalOf(() => R.list.parseQuery({ pageSize: 'many' }));
    expect(refusal).toMatchObject({ kind: 'INVALID_ARGUMENT', code: 'PAGE_SIZE_INVALID' });
    expect(refusal.violations).toEqual([{ field: 'pageSize', description: 'expected a whole number' }]);
  });

  it('refuses an edit whose headers are not text at each header, and a replay whose force is not true or false', () => {
    expect(R.edit.parseBody({ value: { any: 'json' }, headers: { a: 'x' } })).toEqual({ value: { any: 'json' }, headers: { a: 'x' } });
    const edit = refusalOf(() => R.edit.parseBody({ headers: { a: 1, b: 'x' } }));
    expect(edit.code).toBe('EDIT_INVALID');
    expect(edit.violations).toEqual([{ field: 'headers.a', description: 'expected text' }]);
    expect(refusalOf(() => R.edit.parseBody({ headers: ['x'] })).violations).toEqual([expect.objectContaining({ field: 'headers' })]);
    expect(R.replay.parseBody({})).toEqual({});
    expect(refusalOf(() => R.replay.parseBody({ force: 'yes' }))).toMatchObject({
      code: 'REPLAY_INVALID',
      violations: [{ field: 'force', description: 'expected true or false' }],
    });
  });
});

import { compileExpression, evaluateCondition } from './index';

describe('the runtime evaluates compiled conditions', () => {
  it('decides a branch from the record and the clock', () => {
    const condition = compileExpression('record.prioritycode == 1 && now > record.createdon');
    expect(
      evaluateCondition(condition, { record: { prioritycode: 1, createdon: '2026-01-01T00:00:00Z' }, now: '2026-11-25T00:00:00Z' }),
    ).toBe(true);
    expect(
      evaluateCondition(condition, { record: { prioritycode: 2, createdon: '2026-01-01T00:00:00Z' }, now: '2026-11-25T00:00:00Z' }),
    ).toBe(false);
  });
});

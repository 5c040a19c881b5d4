import { compileExpression, evaluateCondition, ExpressionError } from './expression';

const record = { name: 'Contoso', creditlimit: 5000, revenue: 1250.5, tags: ['vip', 'eu'], owner: { name: 'alice' } };

describe('expressions (CEL)', () => {
  it('evaluates conditions over records, changed attributes and variables', () => {
    const condition = compileExpression('record.creditlimit > 1000 && "creditlimit" in changed && vars.approved == false');
    expect(evaluateCondition(condition, { record, changed: ['creditlimit'], vars: { approved: false } })).toBe(true);
    expect(evaluateCondition(condition, { record, changed: ['name'], vars: { approved: false } })).toBe(false);
  });

  it('treats whole numbers as ints and others as doubles, and gives plain JSON back', () => {
    expect(compileExpression('record.creditlimit * 2').evaluate({ record })).toBe(10000);
    expect(compileExpression('record.revenue * 2.0').evaluate({ record })).toBe(2501);
    expect(compileExpression('record.tags.map(t, t + "!")').evaluate({ record })).toEqual(['vip!', 'eu!']);
    expect(compileExpression('{"who": record.owner.name, "n": size(record.tags)}').evaluate({ record })).toEqual({ who: 'alice', n: 2 });
  });

  it('names a syntax error with its position', () => {
    expect(() => compileExpression('record.creditlimit >')).toThrow(
      new ExpressionError(
        'EXPRESSION_ERROR',
        'the expression does not parse: at 1:20: found > but expecting end of input',
        'record.creditlimit >',
      ),
    );
  });

  it('reports a missing attribute and a non-boolean condition plainly', () => {
    expect(() => compileExpression('record.nope > 1').evaluate({ record })).toThrow("'record.nope > 1' failed: field not found: nope");
    expect(() => evaluateCondition(compileExpression('record.name'), { record })).toThrow(
      'the condition \'record.name\' gave "Contoso", not true or false',
    );
  });

  it('reads an attribute a record lacks as null, and has() is false for it, in bindings named as records', () => {
    const contact = { lastname: 'Adams', jobtitle: null, parentcustomerid: { entity: 'account', id: 'a1' } };
    const records = { records: ['record'] };
    const read = (source: string) => compileExpression(source).evaluate({ record: contact }, records);
    expect(read('record.firstname')).toBeNull();
    expect(read('record.firstname == null')).toBe(true);
    expect(read('has(record.firstname)')).toBe(false);
    expect(read('has(record.jobtitle)')).toBe(false);
    expect(read('has(record.lastname)')).toBe(true);
    expect(read('has(record.firstname) ? record.firstname : record.lastname')).toBe('Adams');
    expect(read('record.parentcustomerid.id')).toBe('a1');
    expect(read('size(record)')).toBe(3);
    // Other bindings keep CEL's strict reads.
    expect(() => compileExpression('vars.nope').evaluate({ vars: {} }, records)).toThrow('field not found: nope');
  });

  it('bounds the cost before evaluating: source length, list macros, list and string sizes', () => {
    expect(() => compileExpression('x'.repeat(2001))).toThrow('the expression is 2001 characters long; at most 2000 are allowed');
    expect(() => compileExpression('a.map(x, x).map(x, x).filter(x, true).exists(x, true)')).toThrow(
      'the expression uses 4 list macros (map, filter, exists, all, exists_one); at most 3 are allowed',
    );
    const big = compileExpression('size(items) > 0');
    expect(() => big.evaluate({ items: Array.from({ length: 1001 }, () => 1) })).toThrow(
      'items holds 1001 items; expressions take lists of at most 1000',
    );
    try {
      big.evaluate({ items: ['x'.repeat(100_001)] });
      throw new Error('expected a cost error');
    } catch (error) {
      expect(error).toBeInstanceOf(ExpressionError);
      expect((error as ExpressionError).code).toBe('EXPRESSION_TOO_COSTLY');
    }
  });
});

import { operationFilterOf } from './operation-filter';

describe('the operations list filter', () => {
  it('reads a query string and a JSON object alike, by the public names', () => {
    const fromQuery = operationFilterOf({ state: ['0', '1'], status: '31', entity: 'contact', recordId: 'r1', name: 'wf' });
    const fromJson = operationFilterOf({ state: [0, 1], status: 31, entity: 'contact', recordId: 'r1', name: 'wf' });
    expect(fromQuery).toEqual({ states: [0, 1], statuses: [31], primaryEntity: 'contact', regardingId: 'r1', name: 'wf' });
    expect(fromJson).toEqual(fromQuery);
    expect(operationFilterOf({ state: '0,2' }).states).toEqual([0, 2]);
    expect(operationFilterOf({})).toEqual({ states: [], statuses: [] });
  });

  it('refuses a state or status that is not a whole number, naming the field', () => {
    expect(() => operationFilterOf({ state: ['x'] })).toThrow("state must be whole numbers, got 'x'");
    expect(() => operationFilterOf({ status: 1.5 })).toThrow('status must be whole numbers');
  });
});

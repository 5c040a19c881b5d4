import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { nearestNames, validateStateChange, validateTarget } from './attribute-validation';

const account = DEFAULT_ENTITIES.find((entity) => entity.logicalName === 'account')!;
const incident = DEFAULT_ENTITIES.find((entity) => entity.logicalName === 'incident')!;

describe('validateTarget', () => {
  it('accepts well-typed values and collects lookups to check', () => {
    const result = validateTarget(
      account,
      {
        name: 'Contoso',
        creditlimit: 9000.5,
        creditonhold: false,
        industrycode: 7,
        primarycontactid: { entity: 'contact', id: 'c1' },
        description: null,
      },
      { creating: true },
    );
    expect(result.violations).toEqual([]);
    expect(result.lookups).toEqual([{ field: 'target.primarycontactid', value: { entity: 'contact', id: 'c1' } }]);
  });

  it('names each bad field: unknown (with suggestions), wrong type, too long, invalid option, out of range', () => {
    const result = validateTarget(
      account,
      { nmae: 'x', creditlimit: 'lots', telephone1: 'x'.repeat(51), industrycode: 99, numberofemployees: -3, creditonhold: 'no' },
      { creating: false },
    );
    expect(result.violations).toEqual([
      { field: 'target.nmae', description: "entity 'account' has no attribute 'nmae'; did you mean 'name'?", code: 'UNKNOWN_ATTRIBUTE' },
      { field: 'target.creditlimit', description: 'expected a number, got string', code: 'TYPE' },
      { field: 'target.telephone1', description: 'is 51 characters long; at most 50 are allowed', code: 'TOO_LONG' },
      {
        field: 'target.industrycode',
        description:
          'expected one of 1 (Accounting), 2 (Agriculture), 3 (Consulting), 4 (Financial), 5 (Manufacturing), 6 (Retail), 7 (Technology), got 99',
        code: 'OPTION',
      },
      { field: 'target.numberofemployees', description: 'is -3; the minimum is 0', code: 'RANGE' },
      { field: 'target.creditonhold', description: 'expected true or false, got string', code: 'TYPE' },
    ]);
  });

  it('requires required attributes on create, refuses system and state attributes, and checks lookup targets', () => {
    const result = validateTarget(
      account,
      { createdon: '2026-01-01', statecode: 1, parentaccountid: { entity: 'contact', id: 'x' } },
      { creating: true },
    );
    expect(result.violations).toEqual([
      { field: 'target.createdon', description: "'createdon' is maintained by Flowline and cannot be written", code: 'READ_ONLY' },
      { field: 'target.statecode', description: "'statecode' changes through the SetState message", code: 'USE_SETSTATE' },
      { field: 'target.parentaccountid', description: 'may point to account, not contact', code: 'LOOKUP_TARGET' },
      { field: 'target.name', description: "'name' (Account Name) is required", code: 'REQUIRED' },
    ]);
  });

  it('checks money precision and date formats', () => {
    const result = validateTarget(incident, { escalatedon: 'tomorrow' }, { creating: false });
    expect(result.violations).toEqual([
      {
        field: 'target.escalatedon',
        description: 'expected an ISO 8601 date or date-time such as 2026-11-25T10:00:00Z, got "tomorrow"',
        code: 'TYPE',
      },
    ]);
    expect(validateTarget(account, { creditlimit: 1.234 }, { creating: false }).violations).toEqual([
      { field: 'target.creditlimit', description: 'has more than 2 decimal places', code: 'PRECISION' },
    ]);
  });
});

describe('validateStateChange', () => {
  it('accepts a state with one of its statuses and refuses a status of another state', () => {
    expect(validateStateChange(incident, 1, 5)).toEqual([]);
    expect(validateStateChange(incident, 1, 2)).toEqual([
      {
        field: 'parameters.status',
        description: 'state 1 allows status 5 (Problem Solved), 1000 (Information Provided), got 2',
        code: 'OPTION',
      },
    ]);
    expect(validateStateChange(incident, 9, 1)[0]!.description).toBe('expected one of 0 (Active), 1 (Resolved), 2 (Cancelled), got 9');
  });
});

describe('nearestNames', () => {
  it('suggests close names and nothing for strangers', () => {
    expect(nearestNames('creditlimt', ['creditlimit', 'creditonhold', 'name'])).toEqual(['creditlimit']);
    expect(nearestNames('zzzzzz', ['name'])).toEqual([]);
  });
});

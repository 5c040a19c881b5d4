import { DEFAULT_ENTITIES, type EntityMetadata } from '@flowline/contracts';
import { validateEntityMetadata } from './entity-metadata.validation';

const known = new Set(DEFAULT_ENTITIES.map((entity) => entity.logicalName));

const project: EntityMetadata = {
  logicalName: 'project',
  displayName: 'Project',
  primaryIdAttribute: 'projectid',
  primaryNameAttribute: 'name',
  ownership: 'user',
  attributes: [
    { logicalName: 'projectid', displayName: 'Id', type: 'uniqueidentifier' },
    { logicalName: 'name', displayName: 'Name', type: 'string', maxLength: 200 },
    { logicalName: 'budget', displayName: 'Budget', type: 'money', precision: 2, minValue: 0 },
    { logicalName: 'accountid', displayName: 'Account', type: 'lookup', targets: ['account'] },
  ],
};

describe('validateEntityMetadata', () => {
  it('accepts every default entity and a well-formed custom one', () => {
    for (const entity of DEFAULT_ENTITIES)
      expect({ entity: entity.logicalName, violations: validateEntityMetadata(entity, known) }).toEqual({
        entity: entity.logicalName,
        violations: [],
      });
    expect(validateEntityMetadata(project, known)).toEqual([]);
  });

  it('names a bad logical name, a duplicate attribute and a bad type with their paths', () => {
    const violations = validateEntityMetadata(
      {
        ...project,
        logicalName: 'Project!',
        attributes: [
          ...project.attributes,
          { logicalName: 'name', displayName: 'Again', type: 'string' },
          { logicalName: 'x1', displayName: 'X', type: 'text' as never },
        ],
      },
      known,
    );
    expect(violations).toEqual([
      {
        field: 'entity.logicalName',
        description: "expected lowercase letters, digits and underscores, starting with a letter (2 to 64 characters), got 'Project!'",
        code: 'NAME_INVALID',
      },
      { field: 'entity.attributes[4].logicalName', description: "the attribute 'name' is defined twice", code: 'DUPLICATE_ATTRIBUTE' },
      {
        field: 'entity.attributes[5].type',
        description:
          "expected one of string, memo, integer, decimal, money, boolean, datetime, optionset, state, status, lookup, owner, uniqueidentifier, got 'text'",
        code: 'TYPE_INVALID',
      },
    ]);
  });

  it('refuses a lookup to an entity that does not exist, and one without targets', () => {
    const violations = validateEntityMetadata(
      {
        ...project,
        attributes: [
          ...project.attributes.slice(0, 3),
          { logicalName: 'vendorid', displayName: 'Vendor', type: 'lookup', targets: ['vendor'] },
          { logicalName: 'otherid', displayName: 'Other', type: 'lookup' },
        ],
      },
      known,
    );
    expect(violations).toEqual([
      { field: 'entity.attributes[3].targets[0]', description: "no entity 'vendor' exists", code: 'UNKNOWN_ENTITY' },
      {
        field: 'entity.attributes[4].targets',
        description: 'a lookup attribute must name the entities it points to',
        code: 'TARGETS_REQUIRED',
      },
    ]);
  });

  it('checks lengths, precision and ranges only where they apply', () => {
    const violations = validateEntityMetadata(
      {
        ...project,
        attributes: [
          project.attributes[0]!,
          { logicalName: 'name', displayName: 'Name', type: 'string', maxLength: 0 },
          { logicalName: 'budget', displayName: 'Budget', type: 'money', precision: 12, minValue: 10, maxValue: 5 },
          { logicalName: 'active', displayName: 'Active', type: 'boolean', maxLength: 5 },
        ],
      },
      known,
    );
    expect(violations.map((violation) => [violation.field, violation.description])).toEqual([
      ['entity.attributes[1].maxLength', 'expected a whole number from 1 to 1048576, got 0'],
      ['entity.attributes[2].precision', 'expected a whole number from 0 to 10, got 12'],
      ['entity.attributes[2].maxValue', 'the maximum 5 is below the minimum 10'],
      ['entity.attributes[3].maxLength', 'only string and memo attributes have a maximum length, not boolean'],
    ]);
  });

  it('requires the primary attributes to exist with the right types', () => {
    const violations = validateEntityMetadata({ ...project, primaryIdAttribute: 'name', primaryNameAttribute: 'missing' }, known);
    expect(violations).toEqual([
      {
        field: 'entity.primaryIdAttribute',
        description: "'name' is a string attribute; expected a uniqueidentifier",
        code: 'PRIMARY_ID_INVALID',
      },
      { field: 'entity.primaryNameAttribute', description: "no attribute 'missing' among the attributes", code: 'PRIMARY_NAME_INVALID' },
    ]);
  });

  it('checks option sets and that every status belongs to a state', () => {
    const violations = validateEntityMetadata(
      {
        ...project,
        attributes: [
          ...project.attributes,
          {
            logicalName: 'phase',
            displayName: 'Phase',
            type: 'optionset',
            options: [
              { value: 1, label: 'A' },
              { value: 1, label: '' },
            ],
          },
          { logicalName: 'statecode', displayName: 'State', type: 'state', options: [{ value: 0, label: 'Active' }] },
          {
            logicalName: 'statuscode',
            displayName: 'Status',
            type: 'status',
            options: [
              { value: 1, label: 'Open', state: 0 },
              { value: 2, label: 'Gone', state: 7 },
            ],
          },
        ],
      },
      known,
    );
    expect(violations).toEqual([
      {
        field: 'entity.attributes[4].options[1].value',
        description: 'the value 1 is used by another option',
        code: 'OPTION_VALUE_DUPLICATE',
      },
      { field: 'entity.attributes[4].options[1].label', description: 'an option needs a label', code: 'OPTION_LABEL_REQUIRED' },
      {
        field: 'entity.attributes[6].options[1].state',
        description: "status 'Gone' must belong to one of the states 0",
        code: 'STATUS_STATE_INVALID',
      },
    ]);
  });
});

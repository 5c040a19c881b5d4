/**
 * The rules an entity's metadata must satisfy before the registry stores it. Pure: returns
 * every violation with the path of the offending field and what was expected.
 */
import { ATTRIBUTE_KINDS, OWNERSHIP_KINDS, type AttributeMetadata, type EntityMetadata } from '@flowline/contracts';
import type { FieldViolation } from '@flowline/rpc';

const LOGICAL_NAME = /^[a-z][a-z0-9_]{1,63}$/;
const LOGICAL_NAME_RULE = 'expected lowercase letters, digits and underscores, starting with a letter (2 to 64 characters)';
const MAX_STRING_LENGTH = 1_048_576;

function checkOptions(attribute: AttributeMetadata, at: string, violations: FieldViolation[]): void {
  const options = attribute.options ?? [];
  if (options.length === 0) {
    violations.push({
      field: `${at}.options`,
      description: `a ${attribute.type} attribute needs at least one option`,
      code: 'OPTIONS_REQUIRED',
    });
    return;
  }
  const seen = new Set<number>();
  options.forEach((option, index) => {
    if (!Number.isInteger(option.value)) {
      violations.push({
        field: `${at}.options[${index}].value`,
        description: `expected a whole number, got ${option.value}`,
        code: 'OPTION_VALUE_INVALID',
      });
    }
    if (seen.has(option.value)) {
      violations.push({
        field: `${at}.options[${index}].value`,
        description: `the value ${option.value} is used by another option`,
        code: 'OPTION_VALUE_DUPLICATE',
      });
    }
    seen.add(option.value);
    if (!option.label?.trim())
      violations.push({ field: `${at}.options[${index}].label`, description: 'an option needs a label', code: 'OPTION_LABEL_REQUIRED' });
  });
}

function checkAttribute(
  attribute: AttributeMetadata,
  at: string,
  entityName: string,
  knownEntities: ReadonlySet<string>,
  violations: FieldViolation[],
): void {
  if (!LOGICAL_NAME.test(attribute.logicalName ?? '')) {
    violations.push({
      field: `${at}.logicalName`,
      description: `${LOGICAL_NAME_RULE}, got '${attribute.logicalName ?? ''}'`,
      code: 'NAME_INVALID',
    });
  }
  if (!attribute.displayName?.trim())
    violations.push({ field: `${at}.displayName`, description: 'an attribute needs a display name', code: 'DISPLAY_NAME_REQUIRED' });
  if (!ATTRIBUTE_KINDS.includes(attribute.type)) {
    violations.push({
      field: `${at}.type`,
      description: `expected one of ${ATTRIBUTE_KINDS.join(', ')}, got '${String(attribute.type)}'`,
      code: 'TYPE_INVALID',
    });
    return;
  }
  const hasOptions = ['optionset', 'state', 'status'].includes(attribute.type);
  const hasTargets = ['lookup', 'owner'].includes(attribute.type);
  if (attribute.maxLength !== undefined) {
    if (attribute.type !== 'string' && attribute.type !== 'memo') {
      violations.push({
        field: `${at}.maxLength`,
        description: `only string and memo attributes have a maximum length, not ${attribute.type}`,
        code: 'NOT_APPLICABLE',
      });
    } else if (!Number.isInteger(attribute.maxLength) || attribute.maxLength < 1 || attribute.maxLength > MAX_STRING_LENGTH) {
      violations.push({
        field: `${at}.maxLength`,
        description: `expected a whole number from 1 to ${MAX_STRING_LENGTH}, got ${attribute.maxLength}`,
        code: 'RANGE',
      });
    }
  }
  if (attribute.precision !== undefined) {
    if (attribute.type !== 'decimal' && attribute.type !== 'money') {
      violations.push({
        field: `${at}.precision`,
        description: `only decimal and money attributes have a precision, not ${attribute.type}`,
        code: 'NOT_APPLICABLE',
      });
    } else if (!Number.isInteger(attribute.precision) || attribute.precision < 0 || attribute.precision > 10) {
      violations.push({
        field: `${at}.precision`,
        description: `expected a whole number from 0 to 10, got ${attribute.precision}`,
        code: 'RANGE',
      });
    }
  }
  if ((attribute.minValue !== undefined || attribute.maxValue !== undefined) && !['integer', 'decimal', 'money'].includes(attribute.type)) {
    violations.push({
      field: `${at}.minValue`,
      description: `only integer, decimal and money attributes have a range, not ${attribute.type}`,
      code: 'NOT_APPLICABLE',
    });
  } else if (attribute.minValue !== undefined && attribute.maxValue !== undefined && attribute.minValue > attribute.maxValue) {
    violations.push({
      field: `${at}.maxValue`,
      description: `the maximum ${attribute.maxValue} is below the minimum ${attribute.minValue}`,
      code: 'RANGE',
    });
  }
  if (hasOptions) checkOptions(attribute, at, violations);
  else if ((attribute.options ?? []).length > 0) {
    violations.push({
      field: `${at}.options`,
      description: `only optionset, state and status attributes have options, not ${attribute.type}`,
      code: 'NOT_APPLICABLE',
    });
  }
  if (hasTargets) {
    const targets = attribute.targets ?? [];
    if (targets.length === 0)
      violations.push({
        field: `${at}.targets`,
        description: `a ${attribute.type} attribute must name the entities it points to`,
        code: 'TARGETS_REQUIRED',
      });
    targets.forEach((target, index) => {
      if (target !== entityName && !knownEntities.has(target)) {
        violations.push({ field: `${at}.targets[${index}]`, description: `no entity '${target}' exists`, code: 'UNKNOWN_ENTITY' });
      }
    });
  } else if ((attribute.targets ?? []).length > 0) {
    violations.push({
      field: `${at}.targets`,
      description: `only lookup and owner attributes have targets, not ${attribute.type}`,
      code: 'NOT_APPLICABLE',
    });
  }
}

export function validateEntityMetadata(entity: EntityMetadata, knownEntities: ReadonlySet<string>): FieldViolation[] {
  const violations: FieldViolation[] = [];
  if (!LOGICAL_NAME.test(entity.logicalName ?? '')) {
    violations.push({
      field: 'entity.logicalName',
      description: `${LOGICAL_NAME_RULE}, got '${entity.logicalName ?? ''}'`,
      code: 'NAME_INVALID',
    });
  }
  if (!entity.displayName?.trim())
    violations.push({ field: 'entity.displayName', description: 'an entity needs a display name', code: 'DISPLAY_NAME_REQUIRED' });
  if (!OWNERSHIP_KINDS.includes(entity.ownership)) {
    violations.push({
      field: 'entity.ownership',
      description: `expected one of ${OWNERSHIP_KINDS.join(', ')}, got '${String(entity.ownership)}'`,
      code: 'OWNERSHIP_INVALID',
    });
  }
  const attributes = entity.attributes ?? [];
  const byName = new Map<string, AttributeMetadata>();
  attributes.forEach((attribute, index) => {
    const at = `entity.attributes[${index}]`;
    if (byName.has(attribute.logicalName)) {
      violations.push({
        field: `${at}.logicalName`,
        description: `the attribute '${attribute.logicalName}' is defined twice`,
        code: 'DUPLICATE_ATTRIBUTE',
      });
    }
    byName.set(attribute.logicalName, attribute);
    checkAttribute(attribute, at, entity.logicalName, knownEntities, violations);
  });
  const primaryId = byName.get(entity.primaryIdAttribute);
  if (primaryId?.type !== 'uniqueidentifier') {
    violations.push({
      field: 'entity.primaryIdAttribute',
      description: primaryId
        ? `'${entity.primaryIdAttribute}' is a ${primaryId.type} attribute; expected a uniqueidentifier`
        : `no attribute '${entity.primaryIdAttribute}' among the attributes`,
      code: 'PRIMARY_ID_INVALID',
    });
  }
  const primaryName = byName.get(entity.primaryNameAttribute);
  if (primaryName?.type !== 'string') {
    violations.push({
      field: 'entity.primaryNameAttribute',
      description: primaryName
        ? `'${entity.primaryNameAttribute}' is a ${primaryName.type} attribute; expected a string`
        : `no attribute '${entity.primaryNameAttribute}' among the attributes`,
      code: 'PRIMARY_NAME_INVALID',
    });
  }
  const state = attributes.find((attribute) => attribute.type === 'state');
  const statuses = attributes.filter((attribute) => attribute.type === 'status');
  if (state && statuses.length === 0)
    violations.push({
      field: 'entity.attributes',
      description: 'a state attribute needs a status attribute beside it',
      code: 'STATUS_REQUIRED',
    });
  if (!state && statuses.length > 0)
    violations.push({
      field: 'entity.attributes',
      description: 'a status attribute needs a state attribute beside it',
      code: 'STATE_REQUIRED',
    });
  if (state) {
    const stateValues = new Set((state.options ?? []).map((option) => option.value));
    for (const status of statuses) {
      const index = attributes.indexOf(status);
      (status.options ?? []).forEach((option, optionIndex) => {
        if (option.state === undefined || !stateValues.has(option.state)) {
          violations.push({
            field: `entity.attributes[${index}].options[${optionIndex}].state`,
            description: `status '${option.label}' must belong to one of the states ${[...stateValues].join(', ')}`,
            code: 'STATUS_STATE_INVALID',
          });
        }
      });
    }
  }
  return violations;
}

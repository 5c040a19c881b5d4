/**
 * The built-in step handlers that run in the gateway's process:
 * - `flowline.field-defaulting` fills attributes the target lacks: `{"defaults": {"attr": value}}`.
 * - `flowline.validation-rule` refuses the operation when a rule fails over the record as it
 *   will be: `{"rules": [{"attribute": "creditlimit", "operator": "lte", "value": 100000,
 *   "message": "Credit limit above 100,000 needs approval"}]}`.
 */
import { BUILT_IN_STEP_HANDLERS } from '@flowline/contracts';
import { StepRefusal, type ExecutionContext, type RecordImage, type StepOutcome } from '@flowline/plugin-steps';

export type RuleOperator = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'present' | 'absent' | 'matches';

export interface ValidationRule {
  attribute: string;
  operator: RuleOperator;
  value?: unknown;
  message: string;
}

function holds(rule: ValidationRule, actual: unknown): boolean {
  switch (rule.operator) {
    case 'present':
      return actual !== undefined && actual !== null && actual !== '';
    case 'absent':
      return actual === undefined || actual === null || actual === '';
    case 'eq':
      return JSON.stringify(actual) === JSON.stringify(rule.value);
    case 'ne':
      return JSON.stringify(actual) !== JSON.stringify(rule.value);
    case 'matches':
      return typeof actual === 'string' && typeof rule.value === 'string' && new RegExp(rule.value).test(actual);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      // A rule about a value that is not there does not fail: use `present` to require it.
      if (actual === undefined || actual === null) return true;
      const a = actual as number | string;
      const b = rule.value as number | string;
      return rule.operator === 'gt' ? a > b : rule.operator === 'gte' ? a >= b : rule.operator === 'lt' ? a < b : a <= b;
    }
  }
}

export function runBuiltInStep(
  stepName: string,
  handler: string,
  configuration: Record<string, unknown>,
  context: ExecutionContext,
  recordAfter: RecordImage,
): StepOutcome {
  switch (handler) {
    case BUILT_IN_STEP_HANDLERS.fieldDefaulting: {
      const defaults = (configuration['defaults'] ?? {}) as Record<string, unknown>;
      const target = context.inputParameters.Target ?? {};
      const changes: RecordImage = {};
      for (const [attribute, value] of Object.entries(defaults)) {
        if (!(attribute in target) && (recordAfter[attribute] === undefined || recordAfter[attribute] === null)) changes[attribute] = value;
      }
      return { targetChanges: changes };
    }
    case BUILT_IN_STEP_HANDLERS.validationRule: {
      const rules = (configuration['rules'] ?? []) as ValidationRule[];
      for (const rule of rules) {
        if (!holds(rule, recordAfter[rule.attribute])) throw new StepRefusal(stepName, rule.message);
      }
      return {};
    }
    default:
      throw new StepRefusal(stepName, `the gateway has no built-in handler '${handler}'`);
  }
}

// The deterministic interpreter of process definitions (see README.md).
// Expressions are compiled by the process model; the runtime evaluates them.
export { compileExpression, evaluateCondition, ExpressionError, type CompiledExpression } from '@flowline/process-model';
export * from './interpreter/types';
export { advance, initialState } from './interpreter/advance';
export { checkAnswers, referenceOf, withChoices, type PromptSpec } from './interpreter/answers';

// The process definition language (see README.md).
export * from './definition/parse-source';
export * from './definition/limits';
export * from './definition/header';
export * from './definition/steps';
export * from './definition/definition';
export * from './definition/validate';
export * from './definition/children';
export * from './definition/compile';
export * from './definition/schedule';
export * from './expressions/expression';
export * from './expressions/references';

// The process definition language (see README.md).
export * from './definition/parse-source';
export * from './definition/header';
export * from './expressions/expression';

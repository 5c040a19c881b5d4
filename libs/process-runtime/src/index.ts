// The deterministic interpreter of process definitions (see README.md).
export * from './expressions/expression';

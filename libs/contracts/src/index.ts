export * from './topics/topics';
export * from './enums/async-operation';
export * from './enums/pipeline';
export * from './enums/process-definition';
export * from './envelope/envelope';
export * from './services/services';

// Plug-in steps that run outside the process: the execution context they see and webhook calls,
// shared by the gateway (synchronous steps) and the executor (asynchronous steps).
export * from './execution-context';
export * from './webhook-step';

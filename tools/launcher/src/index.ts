// The development launcher (npm start).
export * from './launcher';
export * from './settings';
export * from './output';
export * from './port-check';
export * from './run-state';

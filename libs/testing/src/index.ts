// Test helpers shared by every project's integration and end-to-end tests.
export * from './test-database';
export * from './wait-for';
export * from './ports';
export * from './service-process';
export * from './compose';
export * from './timeouts';
export * from './infrastructure';
export * from './oidc-issuer';

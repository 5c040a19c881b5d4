// Development infrastructure shared by the launcher, Jest global setup and benchmarks.
export * from './embedded-postgres';
export * from './ports';
export * from './test-environment';

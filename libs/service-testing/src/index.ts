// Conformance suites every Flowline service runs against itself.
export * from './service-foundation.suite';
export * from './running-service';
export * from './service-config.suite';
export * from './chaos/chaos-rig';
export * from './chaos/chaos-scenario';
export * from './http-edge.suite';
export * from './openapi-conformance';
export * from './documented-routes';

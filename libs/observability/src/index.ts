// Logging and OpenTelemetry tracing for every service.
export * from './logger';
export * from './telemetry';
export * from './trace-timeline';
export * from './prometheus-bridge';

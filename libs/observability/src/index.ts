// Logging and (with the observability issue) OpenTelemetry bootstrap for every service.
export * from './logger';

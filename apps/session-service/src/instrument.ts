/**
 * OpenTelemetry first: imported before anything else in main.ts, so HTTP, gRPC and pg are
 * instrumented when Nest loads them.
 */
import { startTelemetry } from '@flowline/observability';

startTelemetry('session-service');

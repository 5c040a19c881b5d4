/** Configuration of the async-executor service, validated at start-up. */
import { z } from 'zod';
import { Services } from '@flowline/contracts';
import { baseServiceSettings, grpcAddressSetting, outboundSettings } from '@flowline/service-kit';

export const SERVICE = Services.asyncExecutor;

export const ExecutorConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
  /** What asynchronous webhook steps and the http custom activity may call (OUTBOUND_ALLOW, OUTBOUND_DENY). */
  ...outboundSettings,
  REGISTRY_ADDRESS: grpcAddressSetting('the registry', Services.processRegistry.grpcPort),
  GATEWAY_ADDRESS: grpcAddressSetting('the gateway', Services.eventGateway.grpcPort),
  WORKER_CONCURRENCY: z.coerce.number({ error: 'expected a whole number' }).int().min(0).max(64).default(4),
  /** Unset: paced, as many as this process finished in the last quarter second, at most 128 (worker.service.ts). */
  WORKER_PREFETCH: z.coerce.number({ error: 'expected a whole number' }).int().min(0).max(500).optional(),
  LEASE_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(1000).default(30_000),
  WORKER_POLL_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(10).default(500),
  MAX_RETRIES: z.coerce.number({ error: 'expected a whole number' }).int().min(1).default(5),
  DEFINITION_CONCURRENCY: z.coerce.number({ error: 'expected a whole number' }).int().min(0).default(0),
  RETRY_BASE_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(10).default(1000),
  RETRY_MAX_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(10).default(300_000),
  THROTTLE_AFTER_FAILURES: z.coerce.number({ error: 'expected a whole number' }).int().min(1).default(3),
  THROTTLE_BASE_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(10).default(60_000),
  THROTTLE_MAX_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(10).default(3_600_000),
  /** How long a run waits out an unavailable gateway, registry or database before it fails (not counted for the throttle). */
  EXECUTOR_DEPENDENCY_PATIENCE_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(1000).default(600_000),
  /** The longest pause between two attempts while a dependency is unavailable. */
  EXECUTOR_DEPENDENCY_RETRY_MAX_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(10).default(15_000),
  /** Loop protection: a workflow started more than this many times on one record within the window is canceled. */
  LOOP_MAX_RUNS: z.coerce.number({ error: 'expected a whole number' }).int().min(1).default(16),
  LOOP_WINDOW_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(1000).default(300_000),
  /** How often the scheduler looks for due schedules (0: this process fires none). */
  SCHEDULER_POLL_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(0).default(1000),
  /** A due time fired later than this after its time was missed, and follows the schedule's catchUp policy. */
  SCHEDULE_MISFIRE_GRACE_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(0).default(60_000),
  OPERATION_RETENTION_DAYS: z.coerce.number({ error: 'expected a number of days' }).int().min(1).default(30),
  /** How often the health history (GET /api/v1/health/history) takes a sample; the last hour is kept in memory. */
  HEALTH_SAMPLE_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(1000).max(300_000).default(15_000),
};

export type ExecutorConfig = z.infer<z.ZodObject<typeof ExecutorConfigShape>>;

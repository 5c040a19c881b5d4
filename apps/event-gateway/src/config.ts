/** Configuration of the event-gateway service, validated at start-up. */
import { z } from 'zod';
import { LoopProtection, Services } from '@flowline/contracts';
import { baseServiceSettings, grpcAddressSetting, outboundSettings, rateLimitSettings } from '@flowline/service-kit';

export const SERVICE = Services.eventGateway;

export const GatewayConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
  /** What synchronous webhook steps may call (OUTBOUND_ALLOW, OUTBOUND_DENY). */
  ...outboundSettings,
  /** Per-caller limit on the REST API (RATE_LIMIT_PER_MINUTE). */
  ...rateLimitSettings,
  REGISTRY_ADDRESS: grpcAddressSetting('the registry', Services.processRegistry.grpcPort),
  METADATA_REFRESH_INTERVAL_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(50).default(30_000),
  /** Loop protection: a chain of operations reaching this depth within the window is aborted. */
  LOOP_MAX_DEPTH: z.coerce.number({ error: 'expected a depth of 2 or more' }).int().min(2).default(LoopProtection.maxDepth),
  /** Webhook triggers: where a call with `wait` reads the run's outcome, the longest wait, how long a delivery key is kept. */
  EXECUTOR_ADDRESS: grpcAddressSetting('the executor', Services.asyncExecutor.grpcPort),
  WEBHOOK_MAX_WAIT_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(0).max(600_000).default(30_000),
  WEBHOOK_DELIVERY_RETENTION_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(60_000).default(7 * 24 * 3600 * 1000),
  LOOP_DEPTH_WINDOW_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(1_000).default(LoopProtection.depthWindowMs),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof GatewayConfigShape>>;

/** Configuration of the event-gateway service, validated at start-up. */
import { z } from 'zod';
import { Services } from '@flowline/contracts';
import { baseServiceSettings } from '@flowline/service-kit';

export const SERVICE = Services.eventGateway;

export const GatewayConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
  REGISTRY_ADDRESS: z
    .string({ error: 'expected the registry gRPC address, host:port' })
    .regex(/^[^:\s]+:\d{1,5}$/, { error: 'expected the registry gRPC address, host:port' })
    .default(`127.0.0.1:${Services.processRegistry.grpcPort}`),
  METADATA_REFRESH_INTERVAL_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(50).default(30_000),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof GatewayConfigShape>>;

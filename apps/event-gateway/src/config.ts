/** Configuration of the event-gateway service, validated at start-up. */
import { z } from 'zod';
import { Services } from '@flowline/contracts';
import { baseServiceSettings, grpcAddressSetting } from '@flowline/service-kit';

export const SERVICE = Services.eventGateway;

export const GatewayConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
  REGISTRY_ADDRESS: grpcAddressSetting('the registry', Services.processRegistry.grpcPort),
  METADATA_REFRESH_INTERVAL_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(50).default(30_000),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof GatewayConfigShape>>;

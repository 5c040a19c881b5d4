/** Configuration of the event-gateway service, validated at start-up. */
import type { z } from 'zod';
import { Services } from '@flowline/contracts';
import { baseServiceSettings } from '@flowline/service-kit';

export const SERVICE = Services.eventGateway;

export const GatewayConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof GatewayConfigShape>>;

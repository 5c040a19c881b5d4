/** Configuration of the session-service service, validated at start-up. */
import { z } from 'zod';
import { Services } from '@flowline/contracts';
import { baseServiceSettings } from '@flowline/service-kit';

export const SERVICE = Services.sessionService;

export const SessionConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
  /** Where the dialogs' activated versions come from. */
  REGISTRY_ADDRESS: z
    .string({ error: 'expected the registry gRPC address, host:port' })
    .regex(/^[^:\s]+:\d{1,5}$/, { error: 'expected the registry gRPC address, host:port' })
    .default(`127.0.0.1:${Services.processRegistry.grpcPort}`),
  /** Where dialogs act on records (Execute), so plug-ins and workflows see what they do. */
  GATEWAY_ADDRESS: z
    .string({ error: 'expected the gateway gRPC address, host:port' })
    .regex(/^[^:\s]+:\d{1,5}$/, { error: 'expected the gateway gRPC address, host:port' })
    .default(`127.0.0.1:${Services.eventGateway.grpcPort}`),
};

export type SessionConfig = z.infer<z.ZodObject<typeof SessionConfigShape>>;

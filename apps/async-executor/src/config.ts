/** Configuration of the async-executor service, validated at start-up. */
import { z } from 'zod';
import { Services } from '@flowline/contracts';
import { baseServiceSettings } from '@flowline/service-kit';

export const SERVICE = Services.asyncExecutor;

export const ExecutorConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
  REGISTRY_ADDRESS: z
    .string({ error: 'expected the registry gRPC address, host:port' })
    .regex(/^[^:\s]+:\d{1,5}$/, { error: 'expected the registry gRPC address, host:port' })
    .default(`127.0.0.1:${Services.processRegistry.grpcPort}`),
};

export type ExecutorConfig = z.infer<z.ZodObject<typeof ExecutorConfigShape>>;

/** Configuration of the process-registry service, validated at start-up. */
import type { z } from 'zod';
import { Services } from '@flowline/contracts';
import { baseServiceSettings } from '@flowline/service-kit';

export const SERVICE = Services.processRegistry;

export const RegistryConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
};

export type RegistryConfig = z.infer<z.ZodObject<typeof RegistryConfigShape>>;

/** Configuration of the async-executor service, validated at start-up. */
import type { z } from 'zod';
import { Services } from '@flowline/contracts';
import { baseServiceSettings } from '@flowline/service-kit';

export const SERVICE = Services.asyncExecutor;

export const ExecutorConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
};

export type ExecutorConfig = z.infer<z.ZodObject<typeof ExecutorConfigShape>>;

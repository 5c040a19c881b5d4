/** Configuration of the session-service service, validated at start-up. */
import type { z } from 'zod';
import { Services } from '@flowline/contracts';
import { baseServiceSettings } from '@flowline/service-kit';

export const SERVICE = Services.sessionService;

export const SessionConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
};

export type SessionConfig = z.infer<z.ZodObject<typeof SessionConfigShape>>;

/** Configuration of the session-service service, validated at start-up. */
import { z } from 'zod';
import { Services } from '@flowline/contracts';
import { baseServiceSettings, grpcAddressSetting, rateLimitSettings } from '@flowline/service-kit';

export const SERVICE = Services.sessionService;

export const SessionConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
  /** Per-caller limit on the REST API, answers included (RATE_LIMIT_PER_MINUTE). */
  ...rateLimitSettings,
  /** Where the dialogs' activated versions come from. */
  REGISTRY_ADDRESS: grpcAddressSetting('the registry', Services.processRegistry.grpcPort),
  /** Where dialogs act on records (Execute), so plug-ins and workflows see what they do. */
  GATEWAY_ADDRESS: grpcAddressSetting('the gateway', Services.eventGateway.grpcPort),
};

export type SessionConfig = z.infer<z.ZodObject<typeof SessionConfigShape>>;

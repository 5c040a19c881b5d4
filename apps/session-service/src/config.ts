/** Configuration of the session-service service, validated at start-up. */
import * as path from 'node:path';
import { z } from 'zod';
import { Services } from '@flowline/contracts';
import { baseServiceSettings, grpcAddressSetting, rateLimitSettings } from '@flowline/service-kit';

export const SERVICE = Services.sessionService;

/** Another service's HTTP base URL, e.g. `http://process-registry:8081`. */
const httpUrlSetting = (what: string, defaultPort: number) =>
  z
    .string({ error: `expected ${what} HTTP base URL, such as http://host:${defaultPort}` })
    .regex(/^https?:\/\/[^\s/]+$/, { error: `expected ${what} HTTP base URL without a path, such as http://host:${defaultPort}` })
    .default(`http://127.0.0.1:${defaultPort}`);

export const SessionConfigShape = {
  ...baseServiceSettings({ http: SERVICE.httpPort, grpc: SERVICE.grpcPort }),
  /** Per-caller limit on the REST API, answers included (RATE_LIMIT_PER_MINUTE). */
  ...rateLimitSettings,
  /** Where the dialogs' activated versions come from. */
  REGISTRY_ADDRESS: grpcAddressSetting('the registry', Services.processRegistry.grpcPort),
  /** Where dialogs act on records (Execute), so plug-ins and workflows see what they do. */
  GATEWAY_ADDRESS: grpcAddressSetting('the gateway', Services.eventGateway.grpcPort),
  /** The operator console's built files (index.html and assets/, from `nx build console`; docs/adr/0013). */
  CONSOLE_DIR: z.string().default(path.resolve('dist/apps/console')),
  /** The REST APIs the console's page reaches through this service, at /console/api/{registry,gateway,executor}/. */
  REGISTRY_HTTP_URL: httpUrlSetting('the registry', Services.processRegistry.httpPort),
  GATEWAY_HTTP_URL: httpUrlSetting('the gateway', Services.eventGateway.httpPort),
  EXECUTOR_HTTP_URL: httpUrlSetting('the executor', Services.asyncExecutor.httpPort),
  /** The folder of the services' OTLP JSON trace files (FLOWLINE_TRACE_FILE), for the console's trace timelines; unset: none. */
  CONSOLE_TRACE_DIR: z.string().optional(),
  /** A link to a trace in the deployment's trace viewer, with `{traceId}` in it (e.g. https://jaeger.example/trace/{traceId}). */
  CONSOLE_TRACE_URL: z
    .string()
    .refine((value) => value.includes('{traceId}'), { error: 'expected a URL with {traceId} where the trace id goes' })
    .optional(),
};

export type SessionConfig = z.infer<z.ZodObject<typeof SessionConfigShape>>;

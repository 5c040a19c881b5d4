/**
 * Typed configuration validated at start-up. A wrong or missing setting stops the process
 * with one line naming the setting and what was expected.
 */
import { z } from 'zod';
import { readFileSync } from 'node:fs';
import {
  ALL_ROLES,
  ClientCredentialsCredential,
  loadServicePrivateKey,
  MissingServiceCredential,
  parseRoleMap,
  parseServiceKeySet,
  ServiceKeyCredential,
  SharedSecretCredential,
  type Role,
  type ServiceCredential,
  type TokenVerifierSettings,
} from '@flowline/auth';
import { LOG_LEVELS } from '@flowline/observability';
import { corsSettings } from '../bootstrap/cors';
import { trustProxySettings } from '../bootstrap/trust-proxy';
import { DEFAULT_HTTP_BODY_LIMIT_BYTES } from '../errors/http-error-mapping';

export class ConfigError extends Error {
  constructor(
    readonly serviceName: string,
    readonly problems: string[],
  ) {
    super(`${serviceName}: invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** A TCP port number read from the environment. */
export const portSetting = (defaultPort: number) =>
  z.coerce
    .number({ error: 'expected a port number (1-65535)' })
    .int({ error: 'expected a whole port number (1-65535)' })
    .min(1, { error: 'expected a port number (1-65535)' })
    .max(65535, { error: 'expected a port number (1-65535)' })
    .default(defaultPort);

export const postgresUrlSetting = () =>
  z
    .string({ error: 'expected a PostgreSQL URL such as postgres://user:password@host:5432/flowline' })
    .refine((value) => /^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(value), {
      error: 'expected a PostgreSQL URL with a database, such as postgres://user:password@host:5432/flowline',
    });

export const durationMsSetting = (defaultMs: number) =>
  z.coerce
    .number({ error: 'expected a duration in milliseconds' })
    .int({ error: 'expected a whole number of milliseconds' })
    .min(0, { error: 'expected a duration in milliseconds (0 or more)' })
    .default(defaultMs);

/** Another service's gRPC address, host:port, e.g. `grpcAddressSetting('the registry', 50051)`. */
export const grpcAddressSetting = (what: string, defaultPort: number) =>
  z
    .string({ error: `expected ${what} gRPC address, host:port` })
    .regex(/^[^:\s]+:\d{1,5}$/, { error: `expected ${what} gRPC address, host:port` })
    .default(`127.0.0.1:${defaultPort}`);

export const logLevelSetting = () => z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info');

const ROLE_LIST_ERROR = `expected a comma-separated list of ${ALL_ROLES.join(', ')}`;

/**
 * How bearer tokens are verified (libs/auth TokenVerifier) and how the service authenticates
 * when it calls another service (libs/auth service-credentials.ts); docs/adr/0009.
 */
export const authSettings = {
  /** Development: the HS256 secret shared by all services (the launcher's). Leave unset in production. */
  AUTH_JWT_SECRET: z
    .string({ error: 'expected the secret (16 characters or more) that signs bearer tokens, shared by all services' })
    .min(16, { error: 'expected the secret (16 characters or more) that signs bearer tokens, shared by all services' })
    .optional(),
  /** The OpenID Connect issuer whose tokens are accepted (its `iss`), e.g. https://login.example.com/realms/flowline. */
  AUTH_OIDC_ISSUER: z.url({ error: 'expected the issuer URL, e.g. https://login.example.com/realms/flowline' }).optional(),
  /** The audience its tokens must carry (`aud`); required with AUTH_OIDC_ISSUER. */
  AUTH_OIDC_AUDIENCE: z.string().min(1).optional(),
  /** The issuer's JWKS; absent: the jwks_uri of its discovery document. */
  AUTH_JWKS_URL: z.url({ error: 'expected the URL of a JSON Web Key Set' }).optional(),
  /** The claim holding the caller's roles (a dot path such as realm_access.roles). */
  AUTH_OIDC_ROLES_CLAIM: z
    .string()
    .regex(/^[A-Za-z0-9_:/.-]+$/, { error: 'expected a claim name or a dot path such as realm_access.roles' })
    .default('roles'),
  /** Issuer role names to Flowline roles: `flowline-admins=admin,editors=author`. */
  AUTH_OIDC_ROLE_MAP: z
    .string()
    .optional()
    .refine(
      (value) => {
        if (value === undefined) return true;
        try {
          parseRoleMap(value);
          return true;
        } catch {
          return false;
        }
      },
      { error: `expected issuer-role=flowline-role pairs separated by commas, the Flowline roles being ${ALL_ROLES.join(', ')}` },
    ),
  /** The issuer's OAuth clients that are Flowline services: their tokens have the role service only. */
  AUTH_OIDC_SERVICE_CLIENTS: z
    .string()
    .regex(/^[^\s,]+(\s*,\s*[^\s,]+)*$/, { error: 'expected client ids separated by commas' })
    .optional(),
  /** The roles an HS256 token may carry; default: all without an issuer, `service` with one. */
  AUTH_HS256_ROLES: z
    .string()
    .optional()
    .refine((value) => value === undefined || value.split(',').every((role) => ALL_ROLES.includes(role.trim() as Role)), {
      error: ROLE_LIST_ERROR,
    }),
  /** The services' public keys (a JSON Web Key Set, each kid a service name): their tokens have the role service only. */
  AUTH_SERVICE_KEYS: z
    .string()
    .optional()
    .superRefine((value, context) => {
      if (value === undefined) return;
      try {
        parseServiceKeySet(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  /** AUTH_SERVICE_KEYS read from a file (a mounted ConfigMap). */
  AUTH_SERVICE_KEYS_FILE: z.string().min(1).optional(),
  /** This service's own private key (a private JWK, or a PKCS#8 PEM) for the tokens it sends other services. */
  SERVICE_KEY: z
    .string()
    .optional()
    .superRefine((value, context) => {
      if (value === undefined) return;
      try {
        loadServicePrivateKey(value, 'checked');
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message.replace(/^SERVICE_KEY /, '') });
      }
    }),
  /** SERVICE_KEY read from a file (a mounted Secret). */
  SERVICE_KEY_FILE: z.string().min(1).optional(),
  /** The key id of a PEM SERVICE_KEY; default the service's name. */
  SERVICE_KEY_ID: z.string().min(1).optional(),
  /** This service's OAuth client at the issuer: client-credentials tokens for calling other services. */
  SERVICE_CLIENT_ID: z.string().min(1).optional(),
  SERVICE_CLIENT_SECRET: z.string().min(1).optional(),
  /** The issuer's token endpoint; default the token_endpoint of AUTH_OIDC_ISSUER's discovery document. */
  AUTH_TOKEN_URL: z.url({ error: "expected the URL of the issuer's token endpoint" }).optional(),
  /** Scopes asked for with the client-credentials grant, space-separated. */
  SERVICE_TOKEN_SCOPE: z.string().min(1).optional(),
};

export type AuthConfig = z.infer<z.ZodObject<typeof authSettings>>;

function readSettingFile(setting: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('auth', [`${setting} cannot be read from ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
}

/** AUTH_SERVICE_KEYS, from the setting or its file. */
function serviceKeysText(config: AuthConfig): string | undefined {
  return (
    config.AUTH_SERVICE_KEYS ??
    (config.AUTH_SERVICE_KEYS_FILE ? readSettingFile('AUTH_SERVICE_KEYS_FILE', config.AUTH_SERVICE_KEYS_FILE) : undefined)
  );
}

/** The verifier's settings from a loaded configuration. */
export function tokenVerifierSettings(config: AuthConfig): TokenVerifierSettings {
  const keys = serviceKeysText(config);
  let serviceKeys: ReturnType<typeof parseServiceKeySet> | undefined;
  try {
    serviceKeys = keys === undefined ? undefined : parseServiceKeySet(keys);
  } catch (error) {
    throw new ConfigError('auth', [`AUTH_SERVICE_KEYS_FILE ${(error as Error).message}`]);
  }
  return {
    ...(config.AUTH_JWT_SECRET ? { secret: config.AUTH_JWT_SECRET } : {}),
    ...(config.AUTH_HS256_ROLES ? { hs256Roles: config.AUTH_HS256_ROLES.split(',').map((role) => role.trim() as Role) } : {}),
    ...(serviceKeys ? { serviceKeys } : {}),
    ...(config.AUTH_OIDC_ISSUER
      ? {
          oidc: {
            issuer: config.AUTH_OIDC_ISSUER,
            audience: config.AUTH_OIDC_AUDIENCE ?? '',
            ...(config.AUTH_JWKS_URL ? { jwksUrl: config.AUTH_JWKS_URL } : {}),
            rolesClaim: config.AUTH_OIDC_ROLES_CLAIM,
            ...(config.AUTH_OIDC_ROLE_MAP ? { roleMap: parseRoleMap(config.AUTH_OIDC_ROLE_MAP) } : {}),
            ...(config.AUTH_OIDC_SERVICE_CLIENTS
              ? { serviceClients: config.AUTH_OIDC_SERVICE_CLIENTS.split(',').map((client) => client.trim()) }
              : {}),
          },
        }
      : {}),
  };
}

/**
 * The credential this service calls other services with: its OAuth client when
 * SERVICE_CLIENT_ID is set, else its own key (SERVICE_KEY), else, in development, the shared
 * AUTH_JWT_SECRET.
 */
export function serviceCredentialOf(config: AuthConfig, serviceName: string): ServiceCredential {
  if (config.SERVICE_CLIENT_ID) {
    if (!config.SERVICE_CLIENT_SECRET) throw new ConfigError(serviceName, ['SERVICE_CLIENT_SECRET is required with SERVICE_CLIENT_ID']);
    if (!config.AUTH_TOKEN_URL && !config.AUTH_OIDC_ISSUER)
      throw new ConfigError(serviceName, [
        'SERVICE_CLIENT_ID needs AUTH_TOKEN_URL or AUTH_OIDC_ISSUER (whose token endpoint issues the tokens)',
      ]);
    return new ClientCredentialsCredential({
      clientId: config.SERVICE_CLIENT_ID,
      clientSecret: config.SERVICE_CLIENT_SECRET,
      ...(config.AUTH_TOKEN_URL ? { tokenUrl: config.AUTH_TOKEN_URL } : {}),
      ...(config.AUTH_OIDC_ISSUER ? { issuer: config.AUTH_OIDC_ISSUER } : {}),
      ...(config.SERVICE_TOKEN_SCOPE ? { scope: config.SERVICE_TOKEN_SCOPE } : {}),
      ...(config.AUTH_OIDC_AUDIENCE ? { audience: config.AUTH_OIDC_AUDIENCE } : {}),
    });
  }
  const keyText =
    config.SERVICE_KEY ?? (config.SERVICE_KEY_FILE ? readSettingFile('SERVICE_KEY_FILE', config.SERVICE_KEY_FILE) : undefined);
  if (keyText !== undefined) {
    try {
      return new ServiceKeyCredential(loadServicePrivateKey(keyText, config.SERVICE_KEY_ID ?? serviceName));
    } catch (error) {
      throw new ConfigError(serviceName, [(error as Error).message]);
    }
  }
  if (config.AUTH_JWT_SECRET) return new SharedSecretCredential(config.AUTH_JWT_SECRET, serviceName);
  return new MissingServiceCredential();
}

/** Settings every Flowline service has. */
export const baseServiceSettings = (ports: { http: number; grpc: number }) => ({
  DATABASE_URL: postgresUrlSetting(),
  HTTP_PORT: portSetting(ports.http),
  GRPC_PORT: portSetting(ports.grpc),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: logLevelSetting(),
  SHUTDOWN_GRACE_MS: durationMsSetting(10_000),
  ...authSettings,
  ...trustProxySettings,
  ...corsSettings,
  KAFKA_BROKERS: z
    .string({ error: 'expected Kafka bootstrap servers, host:port[,host:port]' })
    .regex(/^[^:\s,]+:\d{1,5}(,[^:\s,]+:\d{1,5})*$/, { error: 'expected Kafka bootstrap servers, host:port[,host:port]' }),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/, { error: 'expected letters, digits, dots, underscores or dashes' })
    .default(''),
  /** The largest HTTP request body a service accepts; larger ones are refused with 413 naming this setting. */
  HTTP_BODY_LIMIT_BYTES: z.coerce
    .number({ error: 'expected a number of bytes' })
    .int({ error: 'expected a whole number of bytes' })
    .min(1024, { error: 'expected 1024 bytes or more' })
    .max(64 * 1024 * 1024, { error: 'expected at most 67108864 bytes (64 MiB)' })
    .default(DEFAULT_HTTP_BODY_LIMIT_BYTES),
  /** The largest page a list call returns; larger page sizes are refused naming this setting. */
  PAGE_SIZE_MAX: z.coerce
    .number({ error: 'expected a whole number of items' })
    .int({ error: 'expected a whole number of items' })
    .min(1, { error: 'expected 1 or more' })
    .max(10_000, { error: 'expected at most 10000' })
    .default(500),
  DB_POOL_SIZE: z.coerce.number({ error: 'expected a whole number' }).int().min(1).max(200).default(10),
});

function describeValue(env: Record<string, string | undefined>, key: string): string {
  const value = env[key];
  if (value === undefined) return 'not set';
  if (/URL|PASSWORD|SECRET|TOKEN|KEY/i.test(key)) return 'value hidden';
  return `got '${value}'`;
}

/**
 * Validates `env` against `shape`. Only the keys of the shape are read; empty strings count
 * as unset so that `FOO=` in a compose file falls back to the default.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  serviceName: string,
  shape: Shape,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<Shape>> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    input[key] = value === '' ? undefined : value;
  }
  const result = z.object(shape).safeParse(input);
  // Settings that only make sense together.
  const together: string[] = [];
  if ('AUTH_OIDC_ISSUER' in shape && input['AUTH_OIDC_ISSUER'] !== undefined && input['AUTH_OIDC_AUDIENCE'] === undefined)
    together.push('AUTH_OIDC_AUDIENCE is required with AUTH_OIDC_ISSUER (the audience, aud, the issuer puts in tokens for Flowline)');
  if (
    'AUTH_JWT_SECRET' in shape &&
    ['AUTH_JWT_SECRET', 'AUTH_OIDC_ISSUER', 'AUTH_SERVICE_KEYS', 'AUTH_SERVICE_KEYS_FILE'].every((key) => input[key] === undefined)
  )
    together.push(
      "no way to verify bearer tokens: set AUTH_OIDC_ISSUER (an OpenID Connect issuer) and/or AUTH_SERVICE_KEYS (the services' public keys); AUTH_JWT_SECRET (a shared secret) is for development only",
    );
  if ('SERVICE_CLIENT_ID' in shape && input['SERVICE_CLIENT_ID'] !== undefined) {
    if (input['SERVICE_CLIENT_SECRET'] === undefined) together.push('SERVICE_CLIENT_SECRET is required with SERVICE_CLIENT_ID');
    if (input['AUTH_TOKEN_URL'] === undefined && input['AUTH_OIDC_ISSUER'] === undefined)
      together.push('SERVICE_CLIENT_ID needs AUTH_TOKEN_URL or AUTH_OIDC_ISSUER (whose token endpoint issues the tokens)');
  }
  if (result.success) {
    if (together.length > 0) throw new ConfigError(serviceName, together);
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '(config)');
    const message = issue.code === 'invalid_type' && input[key] === undefined ? `is required (${issue.message})` : issue.message;
    return `${key} ${message.startsWith('is required') ? message : `${message}, ${describeValue(input, key)}`}`;
  });
  throw new ConfigError(serviceName, [...problems, ...together]);
}

/** Loads the configuration or ends the process with one plain line on standard error. */
export function loadConfigOrExit<Shape extends z.ZodRawShape>(
  serviceName: string,
  shape: Shape,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<Shape>> {
  try {
    return loadConfig(serviceName, shape, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { generateServiceKey } from '@flowline/auth';
import { baseServiceSettings, ConfigError, loadConfig, serviceCredentialOf, tokenVerifierSettings } from './config';

const SECRET = 'sixteen-chars-or-more';
const shape = { ...baseServiceSettings({ http: 8080, grpc: 50052 }), FEATURE_LIMIT: z.coerce.number().int().default(5) };

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const config = loadConfig('event-gateway', shape, {
      DATABASE_URL: 'postgres://u:p@localhost:5433/flowline',
      AUTH_JWT_SECRET: SECRET,
      KAFKA_BROKERS: 'localhost:9092',
    });
    expect(config).toMatchObject({ HTTP_PORT: 8080, GRPC_PORT: 50052, LOG_LEVEL: 'info', FEATURE_LIMIT: 5 });
  });

  it('names every missing required setting and what is expected', () => {
    expect(() => loadConfig('event-gateway', shape, {})).toThrow(
      'event-gateway: invalid configuration: DATABASE_URL is required (expected a PostgreSQL URL such as postgres://user:password@host:5432/flowline); ' +
        'KAFKA_BROKERS is required (expected Kafka bootstrap servers, host:port[,host:port]); ' +
        "no way to verify bearer tokens: set AUTH_OIDC_ISSUER (an OpenID Connect issuer) and/or AUTH_SERVICE_KEYS (the services' public keys); AUTH_JWT_SECRET (a shared secret) is for development only",
    );
  });

  it('refuses a short token secret without echoing it', () => {
    expect(() => loadConfig('s', shape, { DATABASE_URL: 'postgres://h/db', KAFKA_BROKERS: 'k:9092', AUTH_JWT_SECRET: 'short' })).toThrow(
      'AUTH_JWT_SECRET expected the secret (16 characters or more) that signs bearer tokens, shared by all services, value hidden',
    );
  });

  it('names a wrong setting, what was expected and what it got, on one line', () => {
    let error: unknown;
    try {
      loadConfig('async-executor', shape, { DATABASE_URL: 'postgres://h:1/db', HTTP_PORT: 'eighty', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).not.toContain('\n');
    expect(message).toContain("HTTP_PORT expected a port number (1-65535), got 'eighty'");
    expect(message).toContain("LOG_LEVEL expected one of fatal, error, warn, info, debug, trace, silent, got 'loud'");
  });

  it('never echoes a database URL, which may hold a password', () => {
    expect(() =>
      loadConfig('s', shape, { DATABASE_URL: 'mysql://root:hunter2@h/db', AUTH_JWT_SECRET: SECRET, KAFKA_BROKERS: 'localhost:9092' }),
    ).toThrow(/DATABASE_URL .*value hidden/);
    expect(() =>
      loadConfig('s', shape, { DATABASE_URL: 'mysql://root:hunter2@h/db', AUTH_JWT_SECRET: SECRET, KAFKA_BROKERS: 'localhost:9092' }),
    ).not.toThrow(/hunter2/);
  });

  it('treats an empty value as unset so the default applies', () => {
    expect(
      loadConfig('s', shape, { DATABASE_URL: 'postgres://h/db', AUTH_JWT_SECRET: SECRET, KAFKA_BROKERS: 'localhost:9092', HTTP_PORT: '' })
        .HTTP_PORT,
    ).toBe(8080);
  });

  it('refuses a port out of range', () => {
    expect(() =>
      loadConfig('s', shape, {
        DATABASE_URL: 'postgres://h/db',
        AUTH_JWT_SECRET: SECRET,
        KAFKA_BROKERS: 'localhost:9092',
        GRPC_PORT: '70000',
      }),
    ).toThrow("GRPC_PORT expected a port number (1-65535), got '70000'");
  });
});

describe('the auth and limit settings every service takes', () => {
  const required = { DATABASE_URL: 'postgres://u:p@localhost:5433/flowline', AUTH_JWT_SECRET: SECRET, KAFKA_BROKERS: 'localhost:9092' };

  it('defaults to HS256 only, any role, and a 1 MiB body limit', () => {
    const config = loadConfig('s', shape, required);
    expect(config).toMatchObject({ HTTP_BODY_LIMIT_BYTES: 1048576, AUTH_OIDC_ROLES_CLAIM: 'roles' });
    expect(tokenVerifierSettings(config)).toEqual({ secret: SECRET });
  });

  it('reads an OpenID Connect issuer, its JWKS, roles claim and role map', () => {
    const config = loadConfig('s', shape, {
      ...required,
      AUTH_OIDC_ISSUER: 'https://login.example.com/realms/flowline',
      AUTH_OIDC_AUDIENCE: 'flowline',
      AUTH_JWKS_URL: 'https://login.example.com/realms/flowline/certs',
      AUTH_OIDC_ROLES_CLAIM: 'realm_access.roles',
      AUTH_OIDC_ROLE_MAP: 'flowline-admins=admin, editors=author',
      AUTH_HS256_ROLES: 'service,operator',
    });
    expect(tokenVerifierSettings(config)).toEqual({
      secret: SECRET,
      hs256Roles: ['service', 'operator'],
      oidc: {
        issuer: 'https://login.example.com/realms/flowline',
        audience: 'flowline',
        jwksUrl: 'https://login.example.com/realms/flowline/certs',
        rolesClaim: 'realm_access.roles',
        roleMap: { 'flowline-admins': 'admin', editors: 'author' },
      },
    });
  });

  it('refuses an issuer without an audience, a role map to no Flowline role, and a body limit out of range', () => {
    expect(() => loadConfig('s', shape, { ...required, AUTH_OIDC_ISSUER: 'https://login.example.com' })).toThrow(
      'AUTH_OIDC_AUDIENCE is required with AUTH_OIDC_ISSUER',
    );
    expect(() => loadConfig('s', shape, { ...required, AUTH_OIDC_ROLE_MAP: 'admins=root' })).toThrow(
      /AUTH_OIDC_ROLE_MAP expected issuer-role=flowline-role/,
    );
    expect(() => loadConfig('s', shape, { ...required, AUTH_HS256_ROLES: 'root' })).toThrow(
      /AUTH_HS256_ROLES expected a comma-separated list/,
    );
    expect(() => loadConfig('s', shape, { ...required, HTTP_BODY_LIMIT_BYTES: '10' })).toThrow(
      /HTTP_BODY_LIMIT_BYTES expected 1024 bytes or more/,
    );
  });
});

describe('per-service credentials and the service keys every service trusts', () => {
  const base = { DATABASE_URL: 'postgres://u:p@localhost:5433/flowline', KAFKA_BROKERS: 'localhost:9092' };
  let keys: Awaited<ReturnType<typeof generateServiceKey>>;
  beforeAll(async () => {
    keys = await generateServiceKey('event-gateway');
  });

  it('production without a shared secret: public keys from AUTH_SERVICE_KEYS_FILE, its own key from SERVICE_KEY_FILE', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flowline-keys-'));
    writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [keys.publicJwk] }));
    writeFileSync(path.join(dir, 'gateway.jwk'), JSON.stringify(keys.privateJwk));
    const config = loadConfig('event-gateway', shape, {
      ...base,
      AUTH_SERVICE_KEYS_FILE: path.join(dir, 'jwks.json'),
      SERVICE_KEY_FILE: path.join(dir, 'gateway.jwk'),
    });
    expect(tokenVerifierSettings(config)).toEqual({ serviceKeys: { keys: [keys.publicJwk] } });
    const credential = serviceCredentialOf(config, 'event-gateway');
    expect(credential.kind).toBe('service-key');
    expect(credential.describe()).toBe("EdDSA tokens signed with its own key 'event-gateway' (SERVICE_KEY)");
    await expect(credential.token()).resolves.toMatch(/^eyJ/);
  });

  it('chooses the OAuth client over a key over the shared secret, and says what is missing', async () => {
    const all = loadConfig('s', shape, {
      ...base,
      AUTH_JWT_SECRET: SECRET,
      AUTH_OIDC_ISSUER: 'https://login.example.com/realms/flowline',
      AUTH_OIDC_AUDIENCE: 'flowline',
      SERVICE_CLIENT_ID: 'flowline-gateway',
      SERVICE_CLIENT_SECRET: 'client-secret',
      SERVICE_KEY: JSON.stringify(keys.privateJwk),
    });
    expect(serviceCredentialOf(all, 'event-gateway').kind).toBe('client-credentials');
    expect(serviceCredentialOf({ ...all, SERVICE_CLIENT_ID: undefined }, 'event-gateway').kind).toBe('service-key');
    expect(serviceCredentialOf({ ...all, SERVICE_CLIENT_ID: undefined, SERVICE_KEY: undefined }, 'event-gateway').kind).toBe(
      'shared-secret',
    );
    const none = serviceCredentialOf({ ...all, SERVICE_CLIENT_ID: undefined, SERVICE_KEY: undefined, AUTH_JWT_SECRET: undefined }, 'x');
    await expect(none.token()).rejects.toThrow('this service has no credential for calling other services: set SERVICE_CLIENT_ID');
    expect(() => serviceCredentialOf({ ...all, SERVICE_CLIENT_SECRET: undefined }, 'event-gateway')).toThrow(
      'SERVICE_CLIENT_SECRET is required with SERVICE_CLIENT_ID',
    );
    expect(() => serviceCredentialOf({ ...all, SERVICE_CLIENT_ID: undefined, SERVICE_KEY: 'not a key' }, 'event-gateway')).toThrow(
      /SERVICE_KEY is not a private key/,
    );
  });

  it('names a client id without its secret or token endpoint, and a SERVICE_KEY that is no key, at start', () => {
    expect(() => loadConfig('s', shape, { ...base, AUTH_JWT_SECRET: SECRET, SERVICE_CLIENT_ID: 'flowline-gateway' })).toThrow(
      's: invalid configuration: SERVICE_CLIENT_SECRET is required with SERVICE_CLIENT_ID; SERVICE_CLIENT_ID needs AUTH_TOKEN_URL or AUTH_OIDC_ISSUER',
    );
    expect(() => loadConfig('s', shape, { ...base, AUTH_JWT_SECRET: SECRET, SERVICE_KEY: 'not a key' })).toThrow(
      /SERVICE_KEY is not a private key .*, value hidden$/,
    );
  });

  it('refuses a key set that holds a private key, and a configuration with no way to verify tokens', () => {
    expect(() => loadConfig('s', shape, { ...base, AUTH_SERVICE_KEYS: JSON.stringify({ keys: [keys.privateJwk] }) })).toThrow(
      'AUTH_SERVICE_KEYS keys[0] (event-gateway) is a private key: publish only the public part, value hidden',
    );
    expect(() => loadConfig('s', shape, base)).toThrow(/no way to verify bearer tokens: set AUTH_OIDC_ISSUER/);
  });
});

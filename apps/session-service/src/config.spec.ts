import { ConfigError, loadConfig } from '@flowline/service-kit';
import { describeServiceConfig } from '@flowline/service-testing';
import { SessionConfigShape, SERVICE } from './config';

describeServiceConfig(SERVICE, SessionConfigShape);

describe('session-service configuration: where the registry and the gateway are', () => {
  const required = { DATABASE_URL: 'postgres://h:5432/flowline', AUTH_JWT_SECRET: 'a-long-enough-secret', KAFKA_BROKERS: 'kafka:9092' };

  it('defaults to the registry and gateway gRPC ports of the shared map on this host', () => {
    const config = loadConfig(SERVICE.name, SessionConfigShape, required);
    expect([config.REGISTRY_ADDRESS, config.GATEWAY_ADDRESS]).toEqual(['127.0.0.1:50051', '127.0.0.1:50052']);
  });

  it('takes host:port addresses from the environment', () => {
    const config = loadConfig(SERVICE.name, SessionConfigShape, {
      ...required,
      REGISTRY_ADDRESS: 'process-registry:50051',
      GATEWAY_ADDRESS: 'event-gateway:50052',
    });
    expect([config.REGISTRY_ADDRESS, config.GATEWAY_ADDRESS]).toEqual(['process-registry:50051', 'event-gateway:50052']);
  });

  it('refuses an address without a port, naming the setting', () => {
    expect(() => loadConfig(SERVICE.name, SessionConfigShape, { ...required, GATEWAY_ADDRESS: 'event-gateway' })).toThrow(ConfigError);
    expect(() => loadConfig(SERVICE.name, SessionConfigShape, { ...required, GATEWAY_ADDRESS: 'event-gateway' })).toThrow(
      "session-service: invalid configuration: GATEWAY_ADDRESS expected the gateway gRPC address, host:port, got 'event-gateway'",
    );
  });
});

import { loadConfig } from '@flowline/service-kit';
import { composeEnvironment, readComposeFile } from '@flowline/testing';
import { SessionConfigShape, SERVICE } from './config';

describe('session-service configuration', () => {
  it('is satisfied by the environment docker-compose.yml gives the service', () => {
    const config = loadConfig(
      SERVICE.name,
      SessionConfigShape,
      composeEnvironment(SERVICE.name, { AUTH_JWT_SECRET: 'a-production-secret-value' }),
    );
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.AUTH_JWT_SECRET).toBe('a-production-secret-value');
    const service = readComposeFile().services[SERVICE.name]!;
    expect(service.build?.args?.['SERVICE']).toBe(SERVICE.name);
    expect(service.ports).toEqual(
      expect.arrayContaining([`${config.HTTP_PORT}:${config.HTTP_PORT}`, `${config.GRPC_PORT}:${config.GRPC_PORT}`]),
    );
    expect(service.depends_on?.['postgres']?.condition).toBe('service_healthy');
  });

  it('defaults to the ports of the shared map', () => {
    const config = loadConfig(SERVICE.name, SessionConfigShape, {
      DATABASE_URL: 'postgres://h:5432/flowline',
      AUTH_JWT_SECRET: 'a-long-enough-secret',
      KAFKA_BROKERS: 'kafka:9092',
    });
    expect([config.HTTP_PORT, config.GRPC_PORT]).toEqual([SERVICE.httpPort, SERVICE.grpcPort]);
  });
});

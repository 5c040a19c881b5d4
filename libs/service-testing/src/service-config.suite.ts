/** The configuration checks every service runs: docker-compose satisfies it, defaults follow the map. */
import type { z } from 'zod';
import type { ServiceDescriptor } from '@flowline/contracts';
import { loadConfig } from '@flowline/service-kit';
import { composeEnvironment, readComposeFile } from '@flowline/testing';

export function describeServiceConfig(service: ServiceDescriptor, shape: z.ZodRawShape): void {
  describe(`${service.name} configuration`, () => {
    it('is satisfied by the environment docker-compose.yml gives the service', () => {
      const config = loadConfig(
        service.name,
        shape,
        composeEnvironment(service.name, { AUTH_JWT_SECRET: 'a-production-secret-value' }),
      ) as Record<string, unknown>;
      expect(config['HOST']).toBe('0.0.0.0');
      expect(config['AUTH_JWT_SECRET']).toBe('a-production-secret-value');
      const compose = readComposeFile().services[service.name]!;
      expect(compose.build?.args?.['SERVICE']).toBe(service.name);
      expect(compose.ports).toEqual(
        expect.arrayContaining([
          `${String(config['HTTP_PORT'])}:${String(config['HTTP_PORT'])}`,
          `${String(config['GRPC_PORT'])}:${String(config['GRPC_PORT'])}`,
        ]),
      );
      expect(compose.depends_on?.['postgres']?.condition).toBe('service_healthy');
    });

    it('defaults to the ports of the shared map', () => {
      const config = loadConfig(service.name, shape, {
        DATABASE_URL: 'postgres://h:5432/flowline',
        AUTH_JWT_SECRET: 'a-long-enough-secret',
        KAFKA_BROKERS: 'kafka:9092',
      }) as Record<string, unknown>;
      expect([config['HTTP_PORT'], config['GRPC_PORT']]).toEqual([service.httpPort, service.grpcPort]);
    });
  });
}

/** The Dockerfile and docker-compose.yml are checked here because no container engine runs on these machines. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ALL_SERVICES } from '@flowline/contracts';
import { readComposeFile } from '@flowline/testing';

const REPO_ROOT = path.resolve(__dirname, '../../..');

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');

  it('builds in stages and runs as the unprivileged node user with a health check', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health\/ready/m);
    expect(dockerfile).toContain('npm ci --omit=dev');
  });

  it('builds with the same command the build target uses, for the service named by SERVICE', () => {
    expect(dockerfile).toContain('node -r @swc-node/register tools/build/src/build.ts "$SERVICE"');
    expect(dockerfile).toContain('exec node dist/apps/${SERVICE}/src/main.js');
  });
});

describe('docker-compose.yml', () => {
  const compose = readComposeFile();

  it('runs PostgreSQL, Kafka in KRaft mode and every service', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['kafka', 'postgres', ...ALL_SERVICES.map((s) => s.name)].sort());
    const kafka = compose.services['kafka']!.environment!;
    expect(String(kafka['KAFKA_PROCESS_ROLES'])).toBe('broker,controller');
    expect(JSON.stringify(compose)).not.toMatch(/zookeeper/i);
  });

  it('gives every service a database, Kafka and a health-gated start', () => {
    for (const descriptor of ALL_SERVICES) {
      const service = compose.services[descriptor.name]!;
      expect(service.environment?.['DATABASE_URL']).toMatch(/@postgres:5432\/flowline$/);
      expect(service.environment?.['KAFKA_BROKERS']).toBe('kafka:9092');
      expect(service.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, kafka: { condition: 'service_healthy' } });
    }
  });
});

/**
 * Jest global setup for integration tests: one real PostgreSQL and one Kafka for the whole run. When
 * DATABASE_URL is set it is used (test files create their own databases in that server);
 * otherwise an embedded PostgreSQL starts on a free port with a throw-away data directory.
 * Relative imports only: Jest does not apply moduleNameMapper to global setup.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startEmbeddedPostgres, type RunningPostgres } from '../embedded-postgres';
import { freePort } from '../ports';
import { TestEnv } from '../test-environment';
// Jest does not map @flowline/* aliases for global setup, so the broker is imported by path.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBroker, type RunningBroker } from '../../../kafka-broker/src/broker';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startApacheKafka } from '../../../apache-kafka/src/apache-kafka';

declare global {
  var __FLOWLINE_TEST_POSTGRES__: RunningPostgres | undefined;
  var __FLOWLINE_TEST_KAFKA__: Pick<RunningBroker, 'brokers' | 'close'> | undefined;
}

/**
 * One Kafka for the run: KAFKA_BROKERS when set; otherwise the kind FLOWLINE_TEST_KAFKA names,
 * `dev` (the in-memory development broker, the default) or `apache` (a real Apache Kafka 4.x
 * broker, fetched through Maven on first use and started on free ports).
 */
async function setupKafka(): Promise<void> {
  if (process.env[TestEnv.kafkaBrokers]) return;
  const external = process.env['KAFKA_BROKERS'];
  if (external) {
    process.env[TestEnv.kafkaBrokers] = external;
    return;
  }
  const kind = process.env[TestEnv.kafkaKind] ?? 'dev';
  if (kind === 'apache') {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'flowline-test-kafka-'));
    const broker = await startApacheKafka({ port: await freePort(), controllerPort: await freePort(), dataDir, defaultPartitions: 3 });
    globalThis.__FLOWLINE_TEST_KAFKA__ = {
      brokers: broker.brokers,
      close: async () => {
        await broker.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
    process.env[TestEnv.kafkaBrokers] = broker.brokers;
    process.env[TestEnv.kafkaDescription] = `Apache Kafka ${broker.version}`;
    return;
  }
  if (kind !== 'dev') throw new Error(`${TestEnv.kafkaKind} is '${kind}': use dev (the development broker) or apache`);
  const broker = await startBroker({ logLevel: 'silent', defaultPartitions: 3 });
  globalThis.__FLOWLINE_TEST_KAFKA__ = broker;
  process.env[TestEnv.kafkaBrokers] = broker.brokers;
  process.env[TestEnv.kafkaDescription] = 'the Kafka development broker';
}

export default async function globalSetup(): Promise<void> {
  await setupKafka();
  if (process.env[TestEnv.postgresAdminUrl]) return;
  const external = process.env['DATABASE_URL'];
  if (external) {
    process.env[TestEnv.postgresAdminUrl] = external;
    return;
  }
  const parent = await mkdtemp(path.join(tmpdir(), 'flowline-test-pg-'));
  // mkdtemp makes the folder private to us; the server may run as the `postgres` user.
  await chmod(parent, 0o755);
  const dataDir = path.join(parent, 'data');
  const postgres = await startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true });
  globalThis.__FLOWLINE_TEST_POSTGRES__ = postgres;
  process.env[TestEnv.postgresAdminUrl] = postgres.adminUrl;
}

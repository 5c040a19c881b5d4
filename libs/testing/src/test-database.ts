/**
 * A fresh database per test file, created in the PostgreSQL server that Jest global setup
 * provides (embedded, or the one DATABASE_URL names). Parallel Jest workers never share one.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export const POSTGRES_ADMIN_URL_VARIABLE = 'FLOWLINE_TEST_PG_ADMIN_URL';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env[POSTGRES_ADMIN_URL_VARIABLE];
  if (!url) {
    throw new Error(
      `${POSTGRES_ADMIN_URL_VARIABLE} is not set: integration tests need the Jest global setup of tools/dev-infra (check the project's jest.config.js)`,
    );
  }
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const admin = adminUrl();
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return {
    name,
    url: withDatabase(admin, name),
    drop: async () => {
      const dropper = new Client({ connectionString: admin });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

export const KAFKA_BROKERS_VARIABLE = 'FLOWLINE_TEST_KAFKA_BROKERS';

/** The Kafka of this test run (the development broker, or KAFKA_BROKERS), as host:port. */
export function testKafkaBrokers(): string {
  const brokers = process.env[KAFKA_BROKERS_VARIABLE];
  if (!brokers) throw new Error(`${KAFKA_BROKERS_VARIABLE} is not set: integration tests need the Jest global setup of tools/dev-infra`);
  return brokers;
}

/** A prefix that keeps one test file's topics and groups apart from every other's. */
export function testPrefix(name: string): string {
  return `t-${name}-${randomBytes(3).toString('hex')}`;
}

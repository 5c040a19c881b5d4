/**
 * Names of the environment variables through which Jest global setup hands the shared test
 * infrastructure (one PostgreSQL server, later one Kafka broker) to test files.
 */
export const TestEnv = {
  postgresAdminUrl: 'FLOWLINE_TEST_PG_ADMIN_URL',
  kafkaBrokers: 'FLOWLINE_TEST_KAFKA_BROKERS',
} as const;

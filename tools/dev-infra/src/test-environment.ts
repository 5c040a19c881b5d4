/**
 * Names of the environment variables through which Jest global setup hands the shared test
 * infrastructure (one PostgreSQL server, later one Kafka broker) to test files.
 */
export const TestEnv = {
  postgresAdminUrl: 'FLOWLINE_TEST_PG_ADMIN_URL',
  kafkaBrokers: 'FLOWLINE_TEST_KAFKA_BROKERS',
  /** Which Kafka global setup starts when KAFKA_BROKERS is not set: `dev` (default) or `apache`. */
  kafkaKind: 'FLOWLINE_TEST_KAFKA',
  /** What global setup started, for test output ("Apache Kafka 4.4.0"). */
  kafkaDescription: 'FLOWLINE_TEST_KAFKA_DESCRIPTION',
} as const;

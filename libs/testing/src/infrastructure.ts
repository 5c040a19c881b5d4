/**
 * The development infrastructure a test may need of its own, to kill and restart it: an embedded
 * PostgreSQL and an Apache Kafka broker (the shared ones of Jest global setup must stay up for the
 * other test files). Re-exported by path: Jest maps no alias for tools outside libs/.
 */
// eslint-disable-next-line @nx/enforce-module-boundaries
export { startEmbeddedPostgres, type RunningPostgres } from '../../../tools/dev-infra/src/embedded-postgres';
// eslint-disable-next-line @nx/enforce-module-boundaries
export { startApacheKafka, type RunningApacheKafka } from '../../../tools/apache-kafka/src/apache-kafka';

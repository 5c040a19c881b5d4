// A real Apache Kafka 4.x broker for tests and one machine (see apache-kafka.ts).
export * from './apache-kafka';

// Kafka messaging for every service: envelope, trace headers, dead letters (and, with the
// messaging issue, the producer, the consumer runner and the transactional outbox).
export * from './envelope/envelope-factory';
export * from './tracing/trace-headers';
export * from './dead-letter/dead-letter';
export * from './outbox/outbox-message.entity';
export * from './outbox/outbox.migration';
export * from './outbox/outbox-writer';
export * from './kafka/kafka-client';
export * from './producer/envelope-producer';
export * from './consumer/consumer-runner';
export * from './outbox/outbox-relay';
export * from './outbox/outbox-signal';
export * from './kafka/topic-names';
export * from './messaging.module';

/**
 * Kafka topic names and their provisioning settings. Apps never spell a topic name as a
 * string literal: they import `Topics`. A published topic is never renamed; a new version
 * gets a new name (`.v2`).
 */
export const Topics = {
  pipelineEvents: 'flowline.pipeline-events.v1',
  domainEvents: 'flowline.domain-events.v1',
  registryChanges: 'flowline.registry-changes.v1',
  asyncOperations: 'flowline.async-operations.v1',
  sessions: 'flowline.sessions.v1',
  deadLetter: 'flowline.dead-letter.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export interface TopicSpec {
  readonly name: TopicName;
  /** What the message key is, for readers of the code and of generated manifests. */
  readonly key: string;
  readonly partitions: number;
  /** `compact` keeps the newest value per key (state topics); `delete` keeps by time. */
  readonly cleanupPolicy: 'delete' | 'compact';
  readonly retentionMs: number;
}

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

export const TopicSpecs: readonly TopicSpec[] = [
  { name: Topics.pipelineEvents, key: 'entity:recordId', partitions: 6, cleanupPolicy: 'delete', retentionMs: WEEK_MS },
  { name: Topics.domainEvents, key: 'entity:recordId', partitions: 6, cleanupPolicy: 'delete', retentionMs: WEEK_MS },
  { name: Topics.registryChanges, key: 'definition or metadata id', partitions: 1, cleanupPolicy: 'delete', retentionMs: WEEK_MS },
  { name: Topics.asyncOperations, key: 'operation id', partitions: 6, cleanupPolicy: 'delete', retentionMs: WEEK_MS },
  { name: Topics.sessions, key: 'session id', partitions: 3, cleanupPolicy: 'delete', retentionMs: WEEK_MS },
  { name: Topics.deadLetter, key: 'original key', partitions: 1, cleanupPolicy: 'delete', retentionMs: 4 * WEEK_MS },
];

/** Consumer group ids, named once like the topics. */
export const ConsumerGroups = {
  executorDispatcher: 'flowline.async-executor.dispatcher',
  executorDeadLetters: 'flowline.async-executor.dead-letters',
  gatewayDomainEvents: 'flowline.event-gateway.domain-events',
  registryCache: (service: string): string => `flowline.${service}.metadata-cache`,
} as const;

/** What every API handler works with: the stores, the coordinator, the broker's own address. */
import type { GroupCoordinator } from '../groups/group-coordinator';
import type { OffsetStore } from '../storage/offset-store';
import type { TopicStore } from '../storage/topic-store';
import type { Reader } from '../wire/codec';

export interface BrokerLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface BrokerContext {
  nodeId: number;
  advertisedHost: string;
  port: number;
  defaultPartitions: number;
  autoCreateTopics: boolean;
  topics: TopicStore;
  offsets: OffsetStore;
  groups: GroupCoordinator;
  log: BrokerLog;
  /** Resolves when any of these partitions gets data, or after `ms`. */
  waitForData(partitions: Array<{ topic: string; partition: number }>, ms: number): Promise<void>;
  notifyAppend(topic: string, partition: number): void;
  nextProducerId(): bigint;
  /** Creates a topic with the default partitions if auto-creation is on; true if it exists now. */
  ensureTopic(name: string): boolean;
}

export interface ClientInfo {
  clientId: string | null;
  host: string;
}

export type ApiHandler = (request: Reader, version: number, context: BrokerContext, client: ClientInfo) => Buffer | Promise<Buffer>;

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
} as const;

export const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

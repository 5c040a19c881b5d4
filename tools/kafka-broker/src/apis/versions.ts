/**
 * The API versions this broker implements, advertised in ApiVersions so that clients
 * negotiate down to them. All are pre-flexible (no tagged fields), and none is older than the
 * oldest Apache Kafka 4 accepts (KIP-896), so a client that works here works there
 * (tools/broker-conformance checks it).
 */
import { ApiKey } from './context';

export const SUPPORTED_VERSIONS: Record<number, [number, number]> = {
  [ApiKey.Produce]: [3, 3],
  [ApiKey.Fetch]: [4, 4],
  [ApiKey.ListOffsets]: [1, 1],
  [ApiKey.Metadata]: [0, 6],
  [ApiKey.OffsetCommit]: [2, 2],
  [ApiKey.OffsetFetch]: [1, 2],
  [ApiKey.FindCoordinator]: [0, 1],
  [ApiKey.JoinGroup]: [0, 2],
  [ApiKey.Heartbeat]: [0, 1],
  [ApiKey.LeaveGroup]: [0, 1],
  [ApiKey.SyncGroup]: [0, 1],
  [ApiKey.DescribeGroups]: [0, 1],
  [ApiKey.ListGroups]: [0, 1],
  [ApiKey.ApiVersions]: [0, 2],
  [ApiKey.CreateTopics]: [2, 2],
  [ApiKey.DeleteTopics]: [1, 1],
  [ApiKey.InitProducerId]: [0, 0],
};

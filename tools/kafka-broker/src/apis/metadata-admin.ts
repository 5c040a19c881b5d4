/** ApiVersions v0-2, Metadata v0-6, CreateTopics v2, DeleteTopics v1 (the versions Apache Kafka 4 still accepts). */
import { Writer, type Reader } from '../wire/codec';
import { ErrorCode } from '../wire/errors';
import { TOPIC_NAME, type ApiHandler } from './context';
import { SUPPORTED_VERSIONS } from './versions';

export function apiVersionsBody(version: number, errorCode = 0): Buffer {
  const writer = new Writer()
    .int16(errorCode)
    .array(Object.entries(SUPPORTED_VERSIONS), (w, [key, [min, max]]) => w.int16(Number(key)).int16(min).int16(max));
  if (version >= 1) writer.int32(0);
  return writer.toBuffer();
}

export const apiVersions: ApiHandler = (_request, version) => apiVersionsBody(version);

/**
 * Metadata v0-6. v4 adds the client's allow_auto_topic_creation: a topic is created on first use
 * only when the client allows it and the broker is set to, as Apache Kafka does.
 */
export const metadata: ApiHandler = (request, version, context) => {
  const requested = version === 0 ? request.array((r: Reader) => r.string()) : request.nullableArray((r: Reader) => r.string());
  const clientAllowsCreation = version >= 4 ? request.boolean() : true;
  // v0: an empty list means every topic; v1 and later: null means every topic.
  const names = requested === null || (version === 0 && requested.length === 0) ? context.topics.names() : requested;
  const writer = new Writer();
  if (version >= 3) writer.int32(0); // throttle time
  writer.array([context.nodeId], (w, nodeId) => {
    w.int32(nodeId).string(context.advertisedHost).int32(context.port);
    if (version >= 1) w.nullableString(null);
  });
  if (version >= 2) writer.nullableString(CLUSTER_ID);
  if (version >= 1) writer.int32(context.nodeId);
  writer.array(names, (w, name) => {
    const valid = TOPIC_NAME.test(name);
    const exists = valid && (clientAllowsCreation ? context.ensureTopic(name) : context.topics.has(name));
    w.int16(exists ? ErrorCode.None : valid ? ErrorCode.UnknownTopicOrPartition : ErrorCode.InvalidTopicException).string(name);
    if (version >= 1) w.boolean(false);
    const partitions = exists ? Array.from({ length: context.topics.partitions(name) }, (_, i) => i) : [];
    w.array(partitions, (pw, partition) => {
      pw.int16(0)
        .int32(partition)
        .int32(context.nodeId)
        .array([context.nodeId], (rw, id) => rw.int32(id))
        .array([context.nodeId], (iw, id) => iw.int32(id));
      if (version >= 5) pw.array([] as number[], (ow, id) => ow.int32(id)); // offline replicas
    });
  });
  return writer.toBuffer();
};

/** The development broker is a cluster of one, always with this id. */
const CLUSTER_ID = 'flowline-dev-broker';

export const createTopics: ApiHandler = (request, version, context) => {
  const topics = request.array((r: Reader) => ({
    topic: r.string(),
    partitions: r.int32(),
    replicationFactor: r.int16(),
    assignments: r.array((a: Reader) => ({ partition: a.int32(), replicas: a.array((x: Reader) => x.int32()) })),
    configs: r.array((c: Reader) => ({ name: c.string(), value: c.nullableString() })),
  }));
  request.int32(); // timeout
  const validateOnly = version >= 1 ? request.boolean() : false;
  // v2 and later answer with a throttle time first (Apache Kafka 4 accepts v2 and later only).
  const results = topics.map((topic) => {
    const fail = (errorCode: number, message: string) => ({ topic: topic.topic, errorCode, message });
    if (!TOPIC_NAME.test(topic.topic)) return fail(ErrorCode.InvalidTopicException, `invalid topic name '${topic.topic}'`);
    if (context.topics.has(topic.topic)) return fail(ErrorCode.TopicAlreadyExists, `topic '${topic.topic}' already exists`);
    const partitions = topic.partitions === -1 ? topic.assignments.length || context.defaultPartitions : topic.partitions;
    if (partitions < 1 || partitions > 1000)
      return fail(ErrorCode.InvalidPartitions, `partitions must be 1 to 1000, got ${topic.partitions}`);
    if (topic.replicationFactor !== -1 && topic.replicationFactor !== 1) {
      return fail(
        ErrorCode.InvalidReplicationFactor,
        `this development broker has one node: replication factor must be 1, got ${topic.replicationFactor}`,
      );
    }
    if (!validateOnly) {
      context.topics.create(topic.topic, { partitions, configs: Object.fromEntries(topic.configs.map((c) => [c.name, c.value])) });
      context.log.info('topic created', { topic: topic.topic, partitions });
    }
    return { topic: topic.topic, errorCode: ErrorCode.None, message: null };
  });
  const writer = new Writer();
  if (version >= 2) writer.int32(0);
  return writer
    .array(results, (w, result) => {
      w.string(result.topic).int16(result.errorCode);
      if (version >= 1) w.nullableString(result.message);
    })
    .toBuffer();
};

export const deleteTopics: ApiHandler = (request, version, context) => {
  const names = request.array((r: Reader) => r.string());
  request.int32(); // timeout
  const writer = new Writer();
  if (version >= 1) writer.int32(0);
  return writer
    .array(names, (w, name) => {
      const exists = context.topics.has(name);
      if (exists) {
        context.topics.delete(name);
        context.log.info('topic deleted', { topic: name });
      }
      w.string(name).int16(exists ? ErrorCode.None : ErrorCode.UnknownTopicOrPartition);
    })
    .toBuffer();
};

/** FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups. */
import { Writer, type Reader } from '../wire/codec';
import { ErrorCode } from '../wire/errors';
import type { ApiHandler } from './context';

const throttle = (writer: Writer, version: number, from: number) => (version >= from ? writer.int32(0) : writer);

export const findCoordinator: ApiHandler = (request, version, context) => {
  request.string(); // key (group id)
  if (version >= 1) request.int8(); // key type
  const writer = new Writer();
  if (version >= 1) writer.int32(0).int16(0).nullableString(null);
  else writer.int16(0);
  return writer.int32(context.nodeId).string(context.advertisedHost).int32(context.port).toBuffer();
};

export const joinGroup: ApiHandler = async (request, version, context, client) => {
  const groupId = request.string();
  const sessionTimeoutMs = request.int32();
  const rebalanceTimeoutMs = version >= 1 ? request.int32() : sessionTimeoutMs;
  const memberId = request.string();
  const protocolType = request.string();
  const protocols = request.array((r: Reader) => ({ name: r.string(), metadata: r.bytes() ?? Buffer.alloc(0) }));
  const response = await context.groups.join({
    groupId,
    sessionTimeoutMs,
    rebalanceTimeoutMs,
    memberId,
    protocolType,
    protocols,
    clientId: client.clientId ?? '',
    clientHost: client.host,
  });
  return throttle(new Writer(), version, 2)
    .int16(response.errorCode)
    .int32(response.generationId)
    .string(response.protocolName)
    .string(response.leaderId)
    .string(response.memberId)
    .array(response.members, (w, member) => w.string(member.memberId).bytes(member.metadata))
    .toBuffer();
};

export const syncGroup: ApiHandler = async (request, version, context) => {
  const groupId = request.string();
  const generationId = request.int32();
  const memberId = request.string();
  const assignments = request.array((r: Reader) => ({ memberId: r.string(), assignment: r.bytes() ?? Buffer.alloc(0) }));
  const response = await context.groups.sync(groupId, generationId, memberId, assignments);
  return throttle(new Writer(), version, 1).int16(response.errorCode).bytes(response.assignment).toBuffer();
};

export const heartbeat: ApiHandler = (request, version, context) => {
  const groupId = request.string();
  const generationId = request.int32();
  const memberId = request.string();
  return throttle(new Writer(), version, 1)
    .int16(context.groups.heartbeat(groupId, generationId, memberId))
    .toBuffer();
};

export const leaveGroup: ApiHandler = (request, version, context) => {
  const groupId = request.string();
  const memberId = request.string();
  return throttle(new Writer(), version, 1).int16(context.groups.leave(groupId, memberId)).toBuffer();
};

export const offsetCommit: ApiHandler = (request, _version, context) => {
  const groupId = request.string();
  const generationId = request.int32();
  const memberId = request.string();
  request.int64(); // retention time
  const topics = request.array((r: Reader) => ({
    topic: r.string(),
    partitions: r.array((p: Reader) => ({ partition: p.int32(), offset: p.int64(), metadata: p.nullableString() })),
  }));
  const errorCode = context.groups.validateCommit(groupId, generationId, memberId);
  if (errorCode === ErrorCode.None) {
    context.offsets.commit(
      groupId,
      topics.flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, offset, metadata }) => ({ topic, partition, offset, metadata })),
      ),
    );
  } else {
    context.log.warn('offset commit refused', { group: groupId, member: memberId, generation: generationId, errorCode });
  }
  return new Writer()
    .array(topics, (w, { topic, partitions }) =>
      w.string(topic).array(partitions, (pw, { partition }) => pw.int32(partition).int16(errorCode)),
    )
    .toBuffer();
};

export const offsetFetch: ApiHandler = (request, version, context) => {
  const groupId = request.string();
  const requested =
    version >= 2
      ? request.nullableArray((r: Reader) => ({ topic: r.string(), partitions: r.array((p: Reader) => p.int32()) }))
      : request.array((r: Reader) => ({ topic: r.string(), partitions: r.array((p: Reader) => p.int32()) }));
  const topics =
    requested ??
    Object.entries(
      context.offsets
        .committedBy(groupId)
        .reduce<Record<string, number[]>>((all, { topic, partition }) => ({ ...all, [topic]: [...(all[topic] ?? []), partition] }), {}),
    ).map(([topic, partitions]) => ({ topic, partitions }));
  const writer = new Writer().array(topics, (w, { topic, partitions }) =>
    w.string(topic).array(partitions, (pw, partition) => {
      const committed = context.offsets.fetch(groupId, topic, partition);
      pw.int32(partition)
        .int64(committed?.offset ?? -1n)
        .nullableString(committed?.metadata ?? '')
        .int16(0);
    }),
  );
  if (version >= 2) writer.int16(0);
  return writer.toBuffer();
};

export const describeGroups: ApiHandler = (request, version, context) => {
  const groupIds = request.array((r: Reader) => r.string());
  return throttle(new Writer(), version, 1)
    .array(groupIds, (w, groupId) => {
      const group = context.groups.describe(groupId);
      w.int16(0)
        .string(groupId)
        .string(group?.state ?? 'Dead')
        .string(group?.protocolType ?? '')
        .string(group?.protocolName ?? '')
        .array(group?.members ?? [], (mw, member) =>
          mw.string(member.memberId).string(member.clientId).string(member.clientHost).bytes(member.metadata).bytes(member.assignment),
        );
    })
    .toBuffer();
};

export const listGroups: ApiHandler = (_request, version, context) => {
  const groups = new Map(context.groups.list().map((group) => [group.groupId, group.protocolType]));
  for (const groupId of context.offsets.groups()) if (!groups.has(groupId)) groups.set(groupId, 'consumer');
  return throttle(new Writer(), version, 1)
    .int16(0)
    .array([...groups], (w, [groupId, protocolType]) => w.string(groupId).string(protocolType))
    .toBuffer();
};

import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type KafkaMessage } from 'kafkajs';
import { ConsumerGroups, DOMAIN_EVENT_TYPE, Topics } from '@flowline/contracts';
import { createEnvelope } from '@flowline/messaging';
import { ExecutorProto, ProtoFiles, type PromiseClient } from '@flowline/rpc';
import { OpenApiConformance, testToken, type RunningService } from '@flowline/service-testing';
import { testKafkaBrokers, waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startChain, type Chain } from '../../test/chain';

/**
 * Dead letters end to end: a malformed domain event is dead-lettered by the gateway's consumer,
 * kept by the executor, listed and searched, fixed, replayed to the domain-events topic and
 * applied by the gateway for real; a letter is discarded; redelivered letters are stored once;
 * refusals (unknown id, replay twice, wrong role). Every REST answer is checked against the
 * executor's own /openapi.json, and every dead-letter operation it documents is called.
 */
type Json = Record<string, unknown>;
type Letter = Json & {
  id: string;
  status: string;
  reasonCode: string;
  replay: Json | null;
  audit?: Array<{ action: string; actor: string; details: Json }>;
};

describe('dead letters are kept, searched, fixed and replayed, or discarded', () => {
  let chain: Chain;
  let kafka: Kafka;
  let admin: Admin;
  const extra: RunningService[] = [];
  let executorUrl = '';
  let openApi: OpenApiConformance;

  beforeAll(async () => {
    chain = await startChain('dead-letters', [], { WORKER_POLL_MS: '100' });
    executorUrl = chain.executor.httpUrl;
    openApi = await OpenApiConformance.of(executorUrl);
    kafka = new Kafka({ clientId: 'dead-letters-test', brokers: [testKafkaBrokers()], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await admin?.disconnect();
    for (const service of extra) await service.stop().catch(() => undefined);
    await chain?.stop();
  });

  const api = async (method: string, url: string, body?: unknown, roles: Array<'operator' | 'admin' | 'user'> = ['operator']) => {
    const response = await fetch(`${executorUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${testToken(roles, 'olga')}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = (await response.json()) as Json & { error: { code: string; message: string } };
    openApi.check(method, url, response.status, response.headers.get('content-type'), answer);
    return { status: response.status, body: answer };
  };
  const produce = async (topic: string, messages: Array<{ key: string; value: string }>) => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${chain.prefix}${topic}`, messages });
    await producer.disconnect();
  };
  const domainEvent = (payload: Json) =>
    createEnvelope({ type: DOMAIN_EVENT_TYPE, schemaVersion: 1, source: 'crm', correlationId: `dl-${randomUUID()}`, depth: 1, payload });
  const listed = async (query: string) =>
    (await api('GET', `/api/v1/dead-letters?${query}`)).body as unknown as {
      deadLetters: Letter[];
      page: { nextPageToken: string; totalCount: number };
    };
  const letterWithKey = (key: string) =>
    waitFor(async () => (await listed(`key=${encodeURIComponent(key)}`)).deadLetters[0], {
      timeoutMs: 30_000,
      what: `the dead letter keyed ${key} to be kept`,
    });

  it('keeps a malformed domain event the gateway dead-lettered; an edited replay is applied by the gateway', async () => {
    const recordId = randomUUID();
    const key = `contact:${recordId}`;
    const malformed = domainEvent({
      message: 'Create',
      entity: 'contact',
      recordId: 'not-a-uuid',
      target: { lastname: 'Replayed', firstname: 'Rita' },
      initiatingUserId: 'crm-user',
    });
    await produce(Topics.domainEvents, [{ key, value: JSON.stringify(malformed) }]);

    const letter = await letterWithKey(key);
    expect(letter).toMatchObject({
      status: 'pending',
      originalTopic: Topics.domainEvents,
      key,
      reason: 'invalid domain event: payload.recordId: expected the record id, a UUID',
      reasonCode: 'INVALID_PAYLOAD',
      consumerGroup: ConsumerGroups.gatewayDomainEvents,
      valueEncoding: 'utf8',
      valueJson: expect.objectContaining({ id: malformed.id, type: DOMAIN_EVENT_TYPE }),
      edited: null,
      replay: null,
    });
    // Searchable by topic, reason code, time and text.
    const since = new Date(Date.now() - 600_000).toISOString();
    for (const query of [
      `topic=${Topics.domainEvents}&reasonCode=INVALID_PAYLOAD`,
      `failedAfter=${since}&status=pending`,
      `text=${encodeURIComponent('Rita')}`,
    ])
      expect((await listed(query)).deadLetters.map((l) => l.id)).toContain(letter.id);
    expect((await listed(`reasonCode=INVALID_TARGET&key=${encodeURIComponent(key)}`)).deadLetters).toHaveLength(0);
    expect((await listed(`failedBefore=${since}`)).deadLetters.map((l) => l.id)).not.toContain(letter.id);

    // Edit: the value is fixed; the original stays.
    const fixed = { ...malformed, payload: { ...malformed.payload, recordId } };
    const edited = await api('PATCH', `/api/v1/dead-letters/${letter.id}`, { value: fixed });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      valueJson: expect.objectContaining({ payload: expect.objectContaining({ recordId: 'not-a-uuid' }) }),
      edited: { valueJson: expect.objectContaining({ payload: expect.objectContaining({ recordId }) }) },
    });

    // Replay: produced to the domain events again, applied by the gateway as a record.
    const replayed = await api('POST', `/api/v1/dead-letters/${letter.id}/replay`, undefined, ['admin']);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({
      status: 'replayed',
      replay: { count: 1, partition: expect.any(Number), offset: expect.any(String) },
    });
    const record = await waitFor(
      async () => {
        const found = (await chain.call('GET', `/api/v1/records/contact/${recordId}`))['record'] as Json | undefined;
        return found?.['lastname'] === 'Replayed' ? found : undefined;
      },
      { timeoutMs: 30_000, what: 'the replayed domain event to create the contact' },
    );
    expect(record['firstname']).toBe('Rita');

    // The replayed message links to the letter and the original position.
    const replayOffset = String((replayed.body['replay'] as Json)['offset']);
    const message = await readAt(
      `${chain.prefix}${Topics.domainEvents}`,
      Number((replayed.body['replay'] as Json)['partition']),
      replayOffset,
    );
    const header = (name: string) => message.headers?.[name]?.toString();
    expect(header('x-flowline-replay-of')).toBe(letter.id);
    expect(header('x-flowline-original-topic')).toBe(Topics.domainEvents);
    expect(header('x-flowline-original-offset')).toBe(letter['originalOffset']);
    expect(header('x-flowline-dead-letter-reason')).toBeUndefined();

    // Replaying again is refused unless forced (the gateway applies the event once either way).
    const twice = await api('POST', `/api/v1/dead-letters/${letter.id}/replay`);
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('DEAD_LETTER_ALREADY_REPLAYED');
    expect(twice.body.error.message).toContain('force');
    const forced = await api('POST', `/api/v1/dead-letters/${letter.id}/replay`, { force: true });
    expect(forced.body).toMatchObject({ status: 'replayed', replay: { count: 2 } });

    // The same over gRPC.
    const grpc = chain.executor.client<PromiseClient<ExecutorProto.DeadLetterServiceClient>>(
      ProtoFiles.executor,
      'flowline.executor.v1.DeadLetterService',
      ['operator'],
    );
    const noFilter = { reasonCode: '', consumerGroup: '', status: '', failedAfter: '', failedBefore: '', text: '' };
    const overGrpc = await grpc.listDeadLetters({ page: { pageSize: 10, pageToken: '' }, topic: Topics.domainEvents, key, ...noFilter });
    expect(overGrpc.deadLetters.map((l) => l.id)).toEqual([letter.id]);
    expect(await grpc.getDeadLetter({ id: letter.id })).toMatchObject({
      status: 'replayed',
      reasonCode: 'INVALID_PAYLOAD',
      replayCount: 2,
      edited: true,
      audit: [{ action: 'stored' }, { action: 'edited', actor: 'olga' }, { action: 'replayed' }, { action: 'replayed' }],
    });
    await expect(grpc.replayDeadLetter({ id: letter.id, force: false })).rejects.toMatchObject({
      grpcCode: 9, // FAILED_PRECONDITION
      code: 'DEAD_LETTER_ALREADY_REPLAYED',
    });
    await expect(grpc.getDeadLetter({ id: randomUUID() })).rejects.toMatchObject({ grpcCode: 5, code: 'DEAD_LETTER_NOT_FOUND' });
    const asUser = chain.executor.client<PromiseClient<ExecutorProto.DeadLetterServiceClient>>(
      ProtoFiles.executor,
      'flowline.executor.v1.DeadLetterService',
      ['user'],
    );
    await expect(asUser.discardDeadLetter({ id: letter.id })).rejects.toMatchObject({ grpcCode: 7 }); // PERMISSION_DENIED

    // Every action audited, shown with the letter.
    const read = (await api('GET', `/api/v1/dead-letters/${letter.id}`)).body as unknown as Letter;
    expect(read.audit!.map((entry) => [entry.action, entry.actor])).toEqual([
      ['stored', 'async-executor'],
      ['edited', 'olga'],
      ['replayed', 'olga'],
      ['replayed', 'olga'],
    ]);
    expect(read.audit![3]!.details).toMatchObject({ forced: true, edited: true });
  }, 120_000);

  it('discards a letter, keeps redelivered letters once, pages by keyset, and refuses what it must', async () => {
    const key = `junk:${randomUUID()}`;
    await produce(Topics.domainEvents, [{ key, value: '{"this is": "not an envelope"}' }]);
    const letter = await letterWithKey(key);
    expect(letter.reasonCode).toBe('INVALID_ENVELOPE');

    const discarded = await api('POST', `/api/v1/dead-letters/${letter.id}/discard`);
    expect(discarded.status).toBe(200);
    expect(discarded.body).toMatchObject({ status: 'discarded' });
    expect((await listed(`status=discarded`)).deadLetters.map((l) => l.id)).toContain(letter.id);
    expect((await listed(`status=pending&key=${encodeURIComponent(key)}`)).deadLetters).toHaveLength(0);
    expect((await api('POST', `/api/v1/dead-letters/${letter.id}/replay`)).body.error.code).toBe('DEAD_LETTER_DISCARDED');
    expect((await api('POST', `/api/v1/dead-letters/${letter.id}/discard`)).status).toBe(409);
    expect((await api('PATCH', `/api/v1/dead-letters/${letter.id}`, { value: 'x' })).status).toBe(409);

    // Refusals.
    const unknown = await api('GET', `/api/v1/dead-letters/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('DEAD_LETTER_NOT_FOUND');
    expect((await api('POST', `/api/v1/dead-letters/${randomUUID()}/replay`)).status).toBe(404);
    expect((await api('GET', `/api/v1/dead-letters/not-an-id`)).status).toBe(400);
    expect((await api('GET', `/api/v1/dead-letters`, undefined, ['user'])).status).toBe(403);
    expect((await api('POST', `/api/v1/dead-letters/${letter.id}/replay`, undefined, ['user'])).status).toBe(403);
    const badFilter = await api('GET', `/api/v1/dead-letters?status=lost&failedAfter=yesterday`);
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error).toMatchObject({ code: 'FILTER_INVALID', violations: [{ field: 'status' }, { field: 'failedAfter' }] });
    expect((await api('PATCH', `/api/v1/dead-letters/${letter.id}`, {})).status).toBe(400);
    const badHeaders = await api('PATCH', `/api/v1/dead-letters/${letter.id}`, { headers: { 'x-ok': 'yes', 'x-count': 3 } });
    expect(badHeaders.body.error).toMatchObject({ code: 'EDIT_INVALID', violations: [{ field: 'headers.x-count' }] });
    const badPageSize = await api('GET', `/api/v1/dead-letters?pageSize=many`);
    expect(badPageSize.status).toBe(400);
    expect(badPageSize.body.error).toMatchObject({ code: 'PAGE_SIZE_INVALID', violations: [{ field: 'pageSize' }] });
    const badForce = await api('POST', `/api/v1/dead-letters/${letter.id}/replay`, { force: 'yes' });
    expect(badForce.status).toBe(400);
    expect(badForce.body.error).toMatchObject({ code: 'REPLAY_INVALID', violations: [{ field: 'force' }] });
    // Every dead-letter operation of the OpenAPI document was called above (the rest is covered by the operations and bulk specs).
    expect(openApi.uncovered().filter((operation) => operation.includes(' /api/v1/dead-letters'))).toEqual([]);

    // What is on the dead-letter topic but no dead letter is kept as it came, and not replayed.
    const garbageKey = `garbage:${randomUUID()}`;
    await produce(Topics.deadLetter, [{ key: garbageKey, value: 'not a dead letter' }]);
    const garbage = await letterWithKey(garbageKey);
    expect(garbage).toMatchObject({ reasonCode: 'UNREADABLE_DEAD_LETTER', originalTopic: Topics.deadLetter, value: 'not a dead letter' });
    expect((await api('POST', `/api/v1/dead-letters/${garbage.id}/replay`)).body.error.code).toBe('DEAD_LETTER_NOT_REPLAYABLE');

    // Keyset pages: newest first, no letter twice.
    const first = await listed('pageSize=1');
    expect(first.deadLetters).toHaveLength(1);
    expect(first.page.totalCount).toBeGreaterThanOrEqual(2);
    const second = await listed(`pageSize=1&pageToken=${first.page.nextPageToken}`);
    expect(second.deadLetters).toHaveLength(1);
    expect(second.deadLetters[0]!.id).not.toBe(first.deadLetters[0]!.id);
    expect((await api('GET', `/api/v1/dead-letters?pageToken=bogus`)).status).toBe(400);

    // Redelivery: the executor stops, its group's offset goes back to the start, and another
    // executor reads the whole topic again; a letter produced after that marks the end.
    const before = Number((await chain.sql.query(`SELECT count(*) FROM "executor"."dead_letter"`)).rows[0].count);
    // One letter's row is removed: that it comes back shows the topic really was read again.
    const forgotten = (letter['deadLetter'] as Json)['offset'];
    await chain.sql.query(`DELETE FROM "executor"."dead_letter" WHERE "id" = $1`, [letter.id]);
    await chain.executor.process.stop('SIGTERM');
    const group = `${chain.prefix}${ConsumerGroups.executorDeadLetters}`;
    await waitFor(
      async () => {
        const described = await admin.describeGroups([group]);
        return described.groups[0]?.members.length === 0;
      },
      { timeoutMs: 30_000, what: 'the dead-letter group to have no members' },
    );
    await admin.setOffsets({ groupId: group, topic: `${chain.prefix}${Topics.deadLetter}`, partitions: [{ partition: 0, offset: '0' }] });
    const again = await chain.startExecutor();
    extra.push(again);
    executorUrl = again.httpUrl;
    const marker = `junk:${randomUUID()}`;
    await produce(Topics.domainEvents, [{ key: marker, value: 'not even JSON' }]);
    await letterWithKey(marker);
    const counts = (
      await chain.sql.query(
        `SELECT "dead_letter_offset", count(*)::int AS n FROM "executor"."dead_letter" GROUP BY "dead_letter_topic", "dead_letter_partition", "dead_letter_offset"`,
      )
    ).rows as Array<{ n: number }>;
    expect(counts.every((row) => row.n === 1)).toBe(true);
    expect(counts).toHaveLength(before + 1);
    expect(counts.map((row) => (row as unknown as { dead_letter_offset: string }).dead_letter_offset)).toContain(forgotten);
  }, 240_000);

  async function readAt(topic: string, partition: number, offset: string): Promise<KafkaMessage> {
    const consumer = kafka.consumer({ groupId: `${chain.prefix}reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let found: KafkaMessage | undefined;
    await consumer.run({
      eachMessage: async (payload) => {
        if (payload.partition === partition && payload.message.offset === offset) found = payload.message;
      },
    });
    try {
      return await waitFor(() => found, { timeoutMs: 20_000, what: `the message at ${topic} ${partition}/${offset}` });
    } finally {
      await consumer.disconnect();
    }
  }
});

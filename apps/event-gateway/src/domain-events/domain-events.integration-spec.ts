import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type EachMessagePayload } from 'kafkajs';
import { DOMAIN_EVENT_TYPE, Topics, type PipelineEvent } from '@flowline/contracts';
import { createEnvelope, type DeadLetterValue } from '@flowline/messaging';
import { testKafkaBrokers, waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startGateway, type GatewayHarness } from '../../test/gateway-harness';

describe('domain events from other services', () => {
  let harness: GatewayHarness;
  let kafka: Kafka;
  beforeAll(async () => {
    harness = await startGateway();
    kafka = new Kafka({ clientId: 'domain-test', brokers: [testKafkaBrokers()], logLevel: logLevel.NOTHING });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await harness.stop();
  });

  async function read(topic: string, until: (messages: EachMessagePayload[]) => boolean): Promise<EachMessagePayload[]> {
    const consumer = kafka.consumer({ groupId: `${harness.prefix}reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: `${harness.prefix}${topic}`, fromBeginning: true });
    const received: EachMessagePayload[] = [];
    await consumer.run({ eachMessage: async (payload) => void received.push(payload) });
    try {
      await waitFor(() => until(received), { timeoutMs: 20_000, what: `messages on ${topic}` });
      return received;
    } finally {
      await consumer.disconnect();
    }
  }

  const event = (payload: Record<string, unknown>, type = DOMAIN_EVENT_TYPE) =>
    JSON.stringify(createEnvelope({ type, schemaVersion: 1, source: 'crm', correlationId: 'from-crm', depth: 1, payload }));

  it('turns valid events into pipeline events in order, and dead-letters invalid ones with the reason', async () => {
    const recordId = randomUUID();
    const producer = kafka.producer();
    await producer.connect();
    const key = `contact:${recordId}`;
    await producer.send({
      topic: `${harness.prefix}${Topics.domainEvents}`,
      messages: [
        {
          key,
          value: event({
            message: 'Create',
            entity: 'contact',
            recordId,
            target: { lastname: 'Ng', firstname: 'Ada' },
            initiatingUserId: 'crm-user',
          }),
        },
        {
          key,
          value: event({ message: 'Update', entity: 'contact', recordId, target: { jobtitle: 'CTO' }, initiatingUserId: 'crm-user' }),
        },
        { key, value: '{"this is": "not an envelope"}' },
        { key, value: event({ message: 'Update', entity: 'contact', target: {}, initiatingUserId: 'crm-user' }) },
        {
          key,
          value: event({ message: 'Update', entity: 'contact', recordId, target: { jobtitel: 'CEO' }, initiatingUserId: 'crm-user' }),
        },
        {
          key,
          value: event({ message: 'Update', entity: 'contact', recordId, target: { jobtitle: 'CEO' }, initiatingUserId: 'crm-user' }),
        },
      ],
    });
    await producer.disconnect();

    const pipeline = await read(Topics.pipelineEvents, (all) => all.filter((m) => m.message.key?.toString() === key).length >= 3);
    const events = pipeline
      .filter((m) => m.message.key?.toString() === key)
      .map((m) => (JSON.parse(m.message.value!.toString()) as { payload: PipelineEvent }).payload);
    expect(events.map((e) => [e.message, e.changedAttributes, e.postImage?.['jobtitle'] ?? null])).toEqual([
      ['Create', ['contactid', 'firstname', 'lastname', 'ownerid', 'statecode', 'statuscode'], null],
      ['Update', ['jobtitle'], 'CTO'],
      ['Update', ['jobtitle'], 'CEO'],
    ]);
    expect(events[0]).toMatchObject({ origin: 'domain-event:crm', depth: 2, correlationId: 'from-crm', initiatingUserId: 'crm-user' });
    const traced = pipeline.find((m) => m.message.key?.toString() === key)!;
    expect(traced.message.headers?.['content-type']?.toString()).toBe('application/json');

    const dead = await read(Topics.deadLetter, (all) => all.length >= 3);
    const reasons = dead.map((m) => (JSON.parse(m.message.value!.toString()) as DeadLetterValue).reason);
    expect(reasons[0]).toMatch(/^invalid envelope: /);
    expect(reasons[1]).toBe('invalid domain event: payload.recordId: expected the record id, a UUID');
    expect(reasons[2]).toMatch(
      /^INVALID_TARGET: Update of contact has 1 invalid field\(s\): target.jobtitel: entity 'contact' has no attribute 'jobtitel'; did you mean 'jobtitle'\?/,
    );

    const record = await harness.call('GET', `/api/v1/records/contact/${recordId}`);
    expect(record.body['record']).toMatchObject({ firstname: 'Ada', jobtitle: 'CEO', versionnumber: 3, createdby: 'crm-user' });
  });

  it('applies a batch with one refused event in the middle: the others commit in order, that one alone is dead-lettered with its reason', async () => {
    const first = randomUUID();
    const second = randomUUID();
    const producer = kafka.producer();
    await producer.connect();
    // One send, so the consumer fetches them as one batch of the partition.
    const key = `contact:${first}`;
    const create = (recordId: string, lastname: string) =>
      event({ message: 'Create', entity: 'contact', recordId, target: { lastname }, initiatingUserId: 'crm-user' });
    await producer.send({
      topic: `${harness.prefix}${Topics.domainEvents}`,
      messages: [
        { key, value: create(first, 'First') },
        {
          key,
          value: event({
            message: 'Update',
            entity: 'contact',
            recordId: first,
            target: { jobtitle: 'CTO' },
            initiatingUserId: 'crm-user',
          }),
        },
        // Refused by the pipeline after the record is locked: rolled back alone.
        {
          key,
          value: event({
            message: 'Update',
            entity: 'contact',
            recordId: first,
            target: { jobtitel: 'CFO' },
            initiatingUserId: 'crm-user',
          }),
        },
        {
          key,
          value: event({
            message: 'Update',
            entity: 'contact',
            recordId: first,
            target: { jobtitle: 'CEO' },
            initiatingUserId: 'crm-user',
          }),
        },
        { key, value: create(second, 'Second') },
      ],
    });
    await producer.disconnect();

    const keyed = (all: EachMessagePayload[], recordId: string) =>
      all.filter((m) => m.message.key?.toString() === `contact:${recordId}`).length;
    const pipeline = await read(Topics.pipelineEvents, (all) => keyed(all, first) >= 3 && keyed(all, second) >= 1);
    const events = pipeline
      .map((m) => (JSON.parse(m.message.value!.toString()) as { payload: PipelineEvent }).payload)
      .filter((e) => e.recordId === first || e.recordId === second);
    // In order per record (the pipeline topic is keyed by record, so two records may interleave).
    const of = (recordId: string) =>
      events.filter((e) => e.recordId === recordId).map((e) => [e.message, e.recordVersion, e.postImage?.['jobtitle'] ?? null]);
    expect(of(first)).toEqual([
      ['Create', 1, null],
      ['Update', 2, 'CTO'],
      ['Update', 3, 'CEO'],
    ]);
    expect(of(second)).toEqual([['Create', 1, null]]);

    const dead = await read(Topics.deadLetter, (all) => all.some((m) => m.message.key?.toString() === key));
    const ours = dead
      .filter((m) => m.message.key?.toString() === key)
      .map((m) => JSON.parse(m.message.value!.toString()) as DeadLetterValue);
    expect(ours).toHaveLength(1);
    expect(ours[0]!.reason).toMatch(/^INVALID_TARGET: Update of contact has 1 invalid field\(s\): target.jobtitel: /);
    expect(JSON.parse(ours[0]!.originalValue!).payload.target).toEqual({ jobtitel: 'CFO' });

    const record = await harness.call('GET', `/api/v1/records/contact/${first}`);
    expect(record.body['record']).toMatchObject({ lastname: 'First', jobtitle: 'CEO', versionnumber: 3 });
    expect((await harness.call('GET', `/api/v1/records/contact/${second}`)).body['record']).toMatchObject({ lastname: 'Second' });
  });

  it('writes consecutive plain Creates of a batch together, and each event still gets its own outcome, in order', async () => {
    const metric = async () => {
      const text = await (await fetch(`${harness.gateway.httpUrl}/metrics`)).text();
      return {
        count: Number(/^flowline_gateway_batch_create_group_size_count(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0),
        sum: Number(/^flowline_gateway_batch_create_group_size_sum(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0),
      };
    };
    const existing = (await harness.call('POST', '/api/v1/records/contact', { lastname: 'Existing' })).body['id'] as string;
    const [a, b, c, d, e] = Array.from({ length: 5 }, () => randomUUID());
    const create = (recordId: string, lastname: string) =>
      event({ message: 'Create', entity: 'contact', recordId, target: { lastname }, initiatingUserId: 'crm-user' });
    const createB = create(b!, 'B');
    const before = await metric();
    const producer = kafka.producer();
    await producer.connect();
    // One send on one key: the consumer fetches them as one batch of one partition.
    const key = `contact:${a}`;
    await producer.send({
      topic: `${harness.prefix}${Topics.domainEvents}`,
      messages: [
        { key, value: create(a!, 'A') },
        { key, value: createB },
        { key, value: create(c!, 'C') },
        // The same record again: refused alone (RECORD_EXISTS), after A is written.
        { key, value: create(a!, 'A again') },
        // The same envelope again (a redelivery): answered from its idempotency key, applied once.
        { key, value: createB },
        // An Update of a record the batch just created sees it.
        {
          key,
          value: event({ message: 'Update', entity: 'contact', recordId: c, target: { jobtitle: 'CTO' }, initiatingUserId: 'crm-user' }),
        },
        // A record that existed before the batch: refused alone.
        { key, value: create(existing, 'Existing again') },
        { key, value: create(d!, 'D') },
        { key, value: create(e!, 'E') },
      ],
    });
    await producer.disconnect();

    const dead = await read(Topics.deadLetter, (all) => all.filter((m) => m.message.key?.toString() === key).length >= 2);
    const ours = dead
      .filter((m) => m.message.key?.toString() === key)
      .map((m) => JSON.parse(m.message.value!.toString()) as DeadLetterValue);
    expect(ours.map((letter) => [letter.reason.split(':')[0], JSON.parse(letter.originalValue!).payload.target.lastname])).toEqual([
      ['RECORD_EXISTS', 'A again'],
      ['RECORD_EXISTS', 'Existing again'],
    ]);
    expect(ours[0]!.reason).toBe(`RECORD_EXISTS: contact ${a} already exists: use Update`);

    const ids = new Set([a, b, c, d, e, existing]);
    const events = (await harness.outbox())
      .map((row) => row.envelope.payload as unknown as PipelineEvent)
      .filter((payload) => ids.has(payload.recordId));
    // One Create per new record (B once, though it came twice), C's Update after its Create, nothing for the refused ones.
    expect(events.map((payload) => [payload.recordId, payload.message, payload.recordVersion])).toEqual([
      [existing, 'Create', 1],
      [a, 'Create', 1],
      [b, 'Create', 1],
      [c, 'Create', 1],
      [c, 'Update', 2],
      [d, 'Create', 1],
      [e, 'Create', 1],
    ]);
    for (const [id, lastname] of [
      [a, 'A'],
      [b, 'B'],
      [d, 'D'],
      [e, 'E'],
      [existing, 'Existing'],
    ] as const)
      expect((await harness.call('GET', `/api/v1/records/contact/${id}`)).body['record']).toMatchObject({ lastname, versionnumber: 1 });
    expect((await harness.call('GET', `/api/v1/records/contact/${c}`)).body['record']).toMatchObject({
      lastname: 'C',
      jobtitle: 'CTO',
      versionnumber: 2,
    });
    // Some Creates shared a statement (A, B, C at least; the batch is taken again one by one after its refusals).
    const after = await metric();
    expect(after.count).toBeGreaterThan(before.count);
    expect(after.sum - before.sum).toBeGreaterThan(after.count - before.count);
  });

  it('dead-letters an event holding a NUL or a lone surrogate at once (one attempt), with the path of the text, and applies the rest', async () => {
    const recordId = randomUUID();
    const key = `contact:${recordId}`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: `${harness.prefix}${Topics.domainEvents}`,
      messages: [
        {
          key,
          value: event({ message: 'Create', entity: 'contact', recordId, target: { lastname: 'N\u0000g' }, initiatingUserId: 'crm-user' }),
        },
        {
          key,
          value: event({
            message: 'Create',
            entity: 'contact',
            recordId,
            target: { lastname: 'Ng', jobtitle: 'CTO \ud800' },
            initiatingUserId: 'crm-user',
          }),
        },
        { key, value: event({ message: 'Create', entity: 'contact', recordId, target: { lastname: 'Ng' }, initiatingUserId: 'crm-user' }) },
      ],
    });
    await producer.disconnect();

    const dead = await read(Topics.deadLetter, (all) => all.filter((m) => m.message.key?.toString() === key).length >= 2);
    const ours = dead
      .filter((m) => m.message.key?.toString() === key)
      .map((m) => JSON.parse(m.message.value!.toString()) as DeadLetterValue);
    expect(ours.map((letter) => [letter.reason, letter.attempts])).toEqual([
      ['invalid domain event: payload.target.lastname: the text holds a NUL character (\\u0000) at position 1: remove it', 1],
      [
        'invalid domain event: payload.target.jobtitle: the text holds a lone UTF-16 surrogate (\\ud800) at position 4: text must be valid Unicode',
        1,
      ],
    ]);
    await waitFor(async () => (await harness.call('GET', `/api/v1/records/contact/${recordId}`)).status === 200, {
      what: 'the valid event after the refused ones to be applied',
    });
  });
});

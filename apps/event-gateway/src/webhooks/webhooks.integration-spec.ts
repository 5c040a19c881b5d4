import fc from 'fast-check';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { ProtoFiles, RegistryProto, type PromiseClient } from '@flowline/rpc';
import { startServiceForTest, TEST_SECRET, testToken, type RunningService } from '@flowline/service-testing';
import {
  freePortForTests,
  SERVICE_START_TIMEOUT_MS,
  spawnService,
  testKafkaBrokers,
  testPrefix,
  waitFor,
  type ServiceProcess,
} from '@flowline/testing';

/** Webhook triggers, end to end: registry, gateway (the endpoint) and executor (the run), as real processes. */
describe('webhook triggers', () => {
  const TOKEN = 'token-for-the-orders-hook';
  const SIGNING = 'signing-secret-of-the-payments-hook';
  let registry: RunningService;
  let gateway: RunningService;
  let executor: RunningService;
  let sql: Client;
  let definitions: PromiseClient<RegistryProto.ProcessDefinitionServiceClient>;

  const workflow = (uniqueName: string, trigger: Record<string, unknown>) => ({
    schemaVersion: 1,
    name: uniqueName,
    uniqueName,
    category: 'workflow',
    primaryEntity: 'account',
    triggers: [trigger],
    inputs: [
      { name: 'subject', type: 'string', required: true },
      { name: 'amount', type: 'number' },
    ],
    steps: [{ id: 'make', type: 'createRecord', entity: 'task', set: { subject: 'Order {{inputs.subject}} for {{inputs.amount}}' } }],
  });

  const metadataCaughtUp = async () => {
    const subscriptions = registry.client<PromiseClient<RegistryProto.SubscriptionServiceClient>>(
      ProtoFiles.registry,
      'flowline.registry.v1.SubscriptionService',
      ['admin'],
    );
    const { metadataVersion } = await subscriptions.resolveSubscriptions({ message: 'Create', entity: 'account', changedAttributes: [] });
    await waitFor(
      async () => {
        const response = await fetch(`${gateway.httpUrl}/api/v1/metadata`, {
          headers: { authorization: `Bearer ${testToken(['user'], 'alice')}` },
        });
        const stats = (await response.json()) as { version?: string };
        return BigInt(stats.version ?? '0') >= BigInt(metadataVersion);
      },
      { what: `the gateway metadata to reach version ${metadataVersion}` },
    );
  };

  const activate = async (definition: Record<string, unknown>) => {
    const saved = await definitions.saveDefinition({
      source: JSON.stringify(definition),
      format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_JSON,
      id: '',
      expectedRowVersion: 0,
    });
    await definitions.activateDefinition({ ref: { id: saved.id, uniqueName: '' } });
    await metadataCaughtUp();
    return saved.id;
  };

  const hook = async (path: string, body: unknown, headers: Record<string, string> = {}, query = '') => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const response = await fetch(`${gateway.httpUrl}/api/v1/hooks/${path}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: text,
    });
    const answer = await response.text();
    return { status: response.status, body: (answer ? JSON.parse(answer) : {}) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  const signed = (id: string, body: string, at = new Date(), secret = SIGNING) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret, { format: 'raw' }).sign(id, at, body),
  });

  const operationsOf = async (definitionId: string) =>
    (await sql.query(`SELECT "id", "input" FROM "executor"."async_operation" WHERE "definition_id" = $1`, [definitionId])).rows as Array<{
      id: string;
      input: { inputs: Record<string, unknown> };
    }>;

  const asAlice = { authorization: `Bearer ${testToken(['user'], 'alice')}`, 'content-type': 'application/json' };
  let executorSettings: Record<string, string> = {};
  let restartedExecutor: ServiceProcess | undefined;
  let tokenDefinition = '';
  let signedDefinition = '';

  beforeAll(async () => {
    const shared = { KAFKA_TOPIC_PREFIX: `${testPrefix('hooks')}.` };
    registry = await startServiceForTest('apps/process-registry/src/main.ts', shared);
    const executorGrpc = await freePortForTests();
    gateway = await startServiceForTest('apps/event-gateway/src/main.ts', {
      ...shared,
      REGISTRY_ADDRESS: registry.grpcAddress,
      METADATA_REFRESH_INTERVAL_MS: '100',
      EXECUTOR_ADDRESS: `127.0.0.1:${executorGrpc}`,
      WEBHOOK_SECRET_ORDERS_TOKEN: TOKEN,
      WEBHOOK_SECRET_PAYMENTS_SIGNING: SIGNING,
    });
    executorSettings = {
      ...shared,
      GRPC_PORT: String(executorGrpc),
      REGISTRY_ADDRESS: registry.grpcAddress,
      GATEWAY_ADDRESS: gateway.grpcAddress,
    };
    executor = await startServiceForTest('apps/async-executor/src/main.ts', executorSettings);
    sql = new Client({ connectionString: executor.db.url });
    await sql.connect();
    definitions = registry.client<PromiseClient<RegistryProto.ProcessDefinitionServiceClient>>(
      ProtoFiles.registry,
      'flowline.registry.v1.ProcessDefinitionService',
      ['author'],
    );
    tokenDefinition = await activate(workflow('orders-hook', { on: 'webhook', auth: 'token', secret: 'orders-token' }));
    signedDefinition = await activate(workflow('payments-hook', { on: 'webhook', path: 'payments', secret: 'payments-signing' }));
  }, 3 * SERVICE_START_TIMEOUT_MS);

  afterAll(async () => {
    await sql?.end();
    await restartedExecutor?.stop();
    await executor?.stop();
    await gateway?.stop();
    await registry?.stop();
  }, SERVICE_START_TIMEOUT_MS);

  it("a good token with ?wait answers the run's outputs, and the run really executed with the inputs", async () => {
    const answer = await hook('orders-hook', { subject: 'A-17', amount: 40 }, { authorization: `Bearer ${TOKEN}` }, '?wait=20s');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'succeeded', repeat: false, outputs: { make: { id: expect.any(String) } } });
    const taskId = String(answer.body['outputs'].make.id);
    const task = await fetch(`${gateway.httpUrl}/api/v1/records/task/${taskId}`, {
      headers: { authorization: `Bearer ${testToken(['user'], 'alice')}` },
    });
    expect(((await task.json()) as { record: Record<string, unknown> }).record).toMatchObject({ subject: 'Order A-17 for 40' });
    const [operation] = (await operationsOf(tokenDefinition)).filter((row) => row.id === answer.body['operationId']);
    expect(operation?.input.inputs).toEqual({ subject: 'A-17', amount: 40 });
  });

  it('without wait, answers 202 with the operation id at once; the same Idempotency-Key again starts no second run', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'idempotency-key': 'delivery-1' };
    const first = await hook('orders-hook', { subject: 'B-1' }, headers);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'accepted', repeat: false, operationId: expect.any(String) });
    const again = await hook('orders-hook', { subject: 'B-1' }, headers);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ operationId: first.body['operationId'], repeat: true });
    await waitFor(async () => (await operationsOf(tokenDefinition)).some((row) => row.id === first.body['operationId']), {
      what: 'the operation to be created',
    });
    const runs = (await operationsOf(tokenDefinition)).filter((row) => row.input.inputs['subject'] === 'B-1');
    expect(runs).toHaveLength(1);
  });

  it('a bad or missing token is refused 401 naming Authorization', async () => {
    const bad = await hook('orders-hook', { subject: 'C' }, { authorization: 'Bearer not-the-token' });
    expect(bad.status).toBe(401);
    expect(bad.body['error']).toMatchObject({
      code: 'WEBHOOK_TOKEN_INVALID',
      violations: [expect.objectContaining({ field: 'Authorization' })],
    });
    const missing = await hook('orders-hook', { subject: 'C' });
    expect(missing.status).toBe(401);
    expect(missing.body['error']).toMatchObject({ code: 'WEBHOOK_TOKEN_MISSING' });
  });

  it('a good signature is accepted; the same signed request again is refused as a replay; a re-signed retry answers the first run', async () => {
    const body = JSON.stringify({ subject: 'P-9', amount: 12.5 });
    const headers = signed('msg_p9', body);
    const first = await hook('payments', body, headers);
    expect(first.status).toBe(202);
    const replay = await hook('payments', body, headers);
    expect(replay.status).toBe(409);
    expect(replay.body['error']).toMatchObject({
      code: 'WEBHOOK_REPLAYED',
      violations: [expect.objectContaining({ field: 'webhook-signature' })],
    });
    const retry = await hook('payments', body, signed('msg_p9', body, new Date(Date.now() - 2_000)));
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ operationId: first.body['operationId'], repeat: true });
    await waitFor(async () => (await operationsOf(signedDefinition)).some((row) => row.id === first.body['operationId']), {
      what: 'the signed run to be created',
    });
    expect((await operationsOf(signedDefinition)).filter((row) => row.input.inputs['subject'] === 'P-9')).toHaveLength(1);
  });

  it('a bad signature and a stale timestamp are refused 401 at their headers', async () => {
    const body = JSON.stringify({ subject: 'P-10' });
    const forged = await hook('payments', body, signed('msg_p10', body, new Date(), 'some-other-secret-entirely'));
    expect(forged.status).toBe(401);
    expect(forged.body['error']).toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
      violations: [expect.objectContaining({ field: 'webhook-signature' })],
    });
    const tampered = await hook('payments', JSON.stringify({ subject: 'P-11' }), signed('msg_p11', body));
    expect(tampered.status).toBe(401);
    const stale = await hook('payments', body, signed('msg_p12', body, new Date(Date.now() - 10 * 60_000)));
    expect(stale.status).toBe(401);
    expect(stale.body['error']).toMatchObject({
      code: 'WEBHOOK_TIMESTAMP_STALE',
      violations: [expect.objectContaining({ field: 'webhook-timestamp' })],
    });
  });

  it('a body that does not fit the inputs is refused 400 naming each field', async () => {
    const answer = await hook('orders-hook', { amount: 'forty', colour: 'red' }, { authorization: `Bearer ${TOKEN}` });
    expect(answer.status).toBe(400);
    const fields = (answer.body['error'].violations as Array<{ field: string; code: string }>).map((v) => [v.field, v.code]);
    expect(fields).toEqual(
      expect.arrayContaining([
        ['subject', 'INPUT_REQUIRED'],
        ['amount', 'INPUT_TYPE'],
        ['colour', 'UNKNOWN_INPUT'],
      ]),
    );
    const notObject = await hook('orders-hook', [1, 2], { authorization: `Bearer ${TOKEN}` });
    expect(notObject.status).toBe(400);
    // The gateway's body limit (HTTP_BODY_LIMIT_BYTES, 1 MiB) and JSON-only edge hold for webhooks too.
    const huge = await hook('orders-hook', { subject: 'x'.repeat(1_100_000) }, { authorization: `Bearer ${TOKEN}` });
    expect(huge.status).toBe(413);
    const text = await hook('orders-hook', 'subject=x', { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
  });

  it('an unknown path, and the path of a deactivated workflow, answer 404', async () => {
    const unknown = await hook('no-such-hook', { subject: 'x' }, { authorization: `Bearer ${TOKEN}` });
    expect(unknown.status).toBe(404);
    expect(unknown.body['error']).toMatchObject({ code: 'WEBHOOK_NOT_FOUND' });
    await activate(workflow('short-lived-hook', { on: 'webhook', auth: 'token', secret: 'orders-token' }));
    expect((await hook('short-lived-hook', { subject: 'x' }, { authorization: `Bearer ${TOKEN}` })).status).toBe(202);
    await definitions.deactivateDefinition({ ref: { id: '', uniqueName: 'short-lived-hook' } });
    await metadataCaughtUp();
    const gone = await hook('short-lived-hook', { subject: 'x' }, { authorization: `Bearer ${TOKEN}` });
    expect(gone.status).toBe(404);
  });
  it('refuses to activate a second workflow on a path an active one serves, and takes it once the first is deactivated', async () => {
    await activate(workflow('path-holder-hook', { on: 'webhook', path: 'shared-path', auth: 'token', secret: 'orders-token' }));
    const second = await definitions.saveDefinition({
      source: JSON.stringify(workflow('path-taker-hook', { on: 'webhook', path: 'shared-path', auth: 'token', secret: 'orders-token' })),
      format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_JSON,
      id: '',
      expectedRowVersion: 0,
    });
    await expect(definitions.activateDefinition({ ref: { id: second.id, uniqueName: '' } })).rejects.toMatchObject({
      code: 'WEBHOOK_PATH_TAKEN',
      message: expect.stringContaining("the active definition 'path-holder-hook'"),
    });
    await definitions.deactivateDefinition({ ref: { id: '', uniqueName: 'path-holder-hook' } });
    await definitions.activateDefinition({ ref: { id: second.id, uniqueName: '' } });
    await metadataCaughtUp();
    expect((await hook('shared-path', { subject: 'x' }, { authorization: `Bearer ${TOKEN}` })).status).toBe(202);
  });

  it('with a record input, runs on that record; an unknown record is refused 400 naming the input', async () => {
    await activate({
      ...workflow('account-hook', { on: 'webhook', auth: 'token', secret: 'orders-token', record: 'accountid' }),
      inputs: [
        { name: 'accountid', type: 'string', required: true },
        { name: 'subject', type: 'string', required: true },
      ],
      steps: [
        {
          id: 'make',
          type: 'createRecord',
          entity: 'task',
          set: { subject: '{{inputs.subject}} for {{record.name}}', regardingobjectid: '=record.ref' },
        },
      ],
    });
    const created = await fetch(`${gateway.httpUrl}/api/v1/records/account`, {
      method: 'POST',
      headers: asAlice,
      body: JSON.stringify({ name: 'Contoso' }),
    });
    const accountId = String(((await created.json()) as { id: string }).id);
    const answer = await hook(
      'account-hook',
      { accountid: accountId, subject: 'Call back' },
      { authorization: `Bearer ${TOKEN}` },
      '?wait=20s',
    );
    expect(answer.status).toBe(200);
    expect(answer.body['status']).toBe('succeeded');
    const task = await fetch(`${gateway.httpUrl}/api/v1/records/task/${String(answer.body['outputs'].make.id)}`, { headers: asAlice });
    expect(((await task.json()) as { record: Record<string, unknown> }).record).toMatchObject({
      subject: 'Call back for Contoso',
      regardingobjectid: { entity: 'account', id: accountId },
    });
    const [operation] = (
      await sql.query(`SELECT "regarding_id", "primary_entity" FROM "executor"."async_operation" WHERE "id" = $1`, [
        answer.body['operationId'],
      ])
    ).rows;
    expect(operation).toEqual({ regarding_id: accountId, primary_entity: 'account' });

    const unknown = await hook(
      'account-hook',
      { accountid: '00000000-0000-4000-8000-000000000001', subject: 'x' },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body['error']).toMatchObject({
      code: 'WEBHOOK_RECORD_NOT_FOUND',
      violations: [expect.objectContaining({ field: 'accountid' })],
    });
    const notAnId = await hook('account-hook', { accountid: 'forty-two', subject: 'x' }, { authorization: `Bearer ${TOKEN}` });
    expect(notAnId.status).toBe(400);
    expect(notAnId.body['error'].violations).toEqual([expect.objectContaining({ field: 'accountid', code: 'RECORD_ID' })]);
  });

  it('a wait that runs out answers 202 with the id; a bad wait is refused naming it', async () => {
    await activate({
      ...workflow('slow-hook', { on: 'webhook', auth: 'token', secret: 'orders-token' }),
      steps: [{ id: 'later', type: 'waitTimeout', duration: 'PT1H' }],
    });
    const answer = await hook('slow-hook', { subject: 'S' }, { authorization: `Bearer ${TOKEN}`, prefer: 'wait=1' });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ status: 'accepted', operationId: expect.any(String) });
    const bad = await hook('slow-hook', { subject: 'S' }, { authorization: `Bearer ${TOKEN}` }, '?wait=soon');
    expect(bad.status).toBe(400);
    expect(bad.body['error'].violations).toEqual([expect.objectContaining({ field: 'wait' })]);
  });

  it('a webhook whose secret the gateway does not hold answers 503 (the sender retries) and says which setting is missing in the log', async () => {
    await activate(workflow('unconfigured-hook', { on: 'webhook', auth: 'token', secret: 'never-set' }));
    const answer = await hook('unconfigured-hook', { subject: 'x' }, { authorization: 'Bearer anything' });
    expect(answer.status).toBe(503);
    expect(answer.body['error']).toMatchObject({ code: 'WEBHOOK_SECRET_MISSING' });
    await waitFor(async () => gateway.process.output.some((line) => line.includes('WEBHOOK_SECRET_NEVER_SET')), {
      what: 'the log line naming the missing setting',
    });
  });

  it('never answers 5xx for any JSON body or header value (property)', async () => {
    const header = fc.oneof(
      fc.string(),
      fc.constantFrom(`Bearer ${TOKEN}`, `Bearer ${TOKEN}`, '', 'v1,', 'v1,AAAA', 'Bearer ', '99999999999999', '-1', 'msg_\u00e9'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.dictionary(fc.constantFrom('subject', 'amount', 'other'), fc.jsonValue({ maxDepth: 2 })),
        ),
        fc.constantFrom('orders-hook', 'payments'),
        fc.dictionary(fc.constantFrom('authorization', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'idempotency-key'), header),
        async (body, path, headers) => {
          const safe = Object.fromEntries(Object.entries(headers).filter(([, value]) => /^[\x20-\x7e]*$/.test(value)));
          const answer = await hook(path, body, safe);
          expect({ body, headers: safe, status: answer.status < 500 ? 'not 5xx' : answer.body }).toEqual({
            body,
            headers: safe,
            status: 'not 5xx',
          });
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('counts calls by outcome in /metrics', async () => {
    const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
    for (const outcome of ['accepted', 'repeat', 'bad_token', 'bad_signature', 'stale_timestamp', 'replayed', 'invalid_body', 'not_found'])
      expect(text).toMatch(new RegExp(`flowline_gateway_webhook_calls_total\\{outcome="${outcome}"[^}]*\\} [1-9]`));
  });

  it(
    'a call accepted while the executor is down is run when it is back: nothing is lost',
    async () => {
      const [httpPort, grpcPort] = [new URL(executor.httpUrl).port, executor.grpcAddress.split(':').at(-1)!];
      await executor.process.stop('SIGKILL');
      const answer = await hook('orders-hook', { subject: 'while-down' }, { authorization: `Bearer ${TOKEN}` });
      expect(answer.status).toBe(202);
      restartedExecutor = spawnService('apps/async-executor/src/main.ts', {
        DATABASE_URL: executor.db.url,
        AUTH_JWT_SECRET: TEST_SECRET,
        KAFKA_BROKERS: testKafkaBrokers(),
        LOG_LEVEL: 'warn',
        ...executorSettings,
        HTTP_PORT: httpPort,
        GRPC_PORT: grpcPort,
      });
      await restartedExecutor.waitForReady(executor.httpUrl, 120_000);
      await waitFor(
        async () =>
          (await sql.query(`SELECT 1 FROM "executor"."async_operation" WHERE "id" = $1 AND "status" = 30`, [answer.body['operationId']]))
            .rows.length === 1,
        { what: 'the run accepted while the executor was down to succeed', timeoutMs: 60_000 },
      );
    },
    2 * SERVICE_START_TIMEOUT_MS,
  );
});

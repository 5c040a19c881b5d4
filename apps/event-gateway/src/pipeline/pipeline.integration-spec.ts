import { createServer, type Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { Webhook } from 'standardwebhooks';
import { GatewayProto, ProtoFiles, RegistryProto, type PromiseClient } from '@flowline/rpc';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startGateway, type GatewayHarness } from '../../test/gateway-harness';

const { ImageType } = RegistryProto;

function stepRegistration(overrides: Partial<RegistryProto.StepRegistration>): RegistryProto.StepRegistration {
  return {
    id: '',
    name: 'step',
    message: 'Create',
    primaryEntity: 'account',
    stage: 20,
    mode: 0,
    rank: 1,
    filteringAttributes: [],
    images: [],
    enabled: true,
    unsecureConfiguration: '',
    secureConfiguration: '',
    hasSecureConfiguration: false,
    registeredOn: '',
    registrationSequence: '',
    rowVersion: 0,
    ...overrides,
  };
}

interface HookCall {
  path: string;
  body: { stepName: string; context: Record<string, unknown> };
  signature: string;
  raw: string;
  headers: Record<string, string>;
}

describe('the event pipeline (Execute)', () => {
  let harness: GatewayHarness;
  let hooks: Server;
  let hookUrl: string;
  const calls: HookCall[] = [];
  const answers = new Map<string, { status: number; body: unknown }>();

  beforeAll(async () => {
    hooks = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      request.on('end', () => {
        calls.push({
          path: request.url ?? '',
          body: JSON.parse(raw) as HookCall['body'],
          signature: String(request.headers['x-flowline-signature']),
          raw,
          headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)])),
        });
        if (request.url === '/never') return; // holds the request open: the step must time out
        const answer = answers.get(request.url ?? '') ?? { status: 200, body: {} };
        response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}`;
    harness = await startGateway();
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await harness.stop();
    hooks.closeAllConnections();
    hooks.close();
  });
  beforeEach(() => {
    calls.length = 0;
  });

  /** A plain Create of a contact over gRPC Execute (a `service` caller): its id ('' for a new one), its lastname, its key. */
  function plainCreate(): (id: string, lastname: string, idempotencyKey?: string) => Promise<GatewayProto.ExecuteResponse> {
    const execute = harness.gateway.client<PromiseClient<GatewayProto.ExecuteServiceClient>>(
      ProtoFiles.gateway,
      'flowline.gateway.v1.ExecuteService',
      ['service'],
    );
    return (id: string, lastname: string, idempotencyKey = '') =>
      execute.execute({
        message: 'Create',
        entity: 'contact',
        id,
        targetJson: JSON.stringify({ lastname }),
        parametersJson: '',
        expectedVersion: 0,
        idempotencyKey,
        depth: 1,
        correlationId: '',
        columns: ['lastname'],
        operationsJson: '',
      });
  }

  async function register(step: Partial<RegistryProto.StepRegistration>): Promise<RegistryProto.StepRegistration> {
    const created = await harness.steps.registerStep({ step: stepRegistration(step) });
    await harness.metadataCaughtUp();
    return created;
  }

  it('creates a record, returns it with its version, and writes one pipeline event with the post-image', async () => {
    const created = await harness.call('POST', '/api/v1/records/account', { name: 'Contoso', creditlimit: 5000 });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    const record = created.body['record'] as Record<string, unknown>;
    expect(record).toMatchObject({
      name: 'Contoso',
      creditlimit: 5000,
      statecode: 0,
      statuscode: 1,
      versionnumber: 1,
      createdby: 'alice',
      ownerid: { entity: 'systemuser', id: 'alice' },
    });
    const events = (await harness.outbox()).filter((row) => row.envelope.id === created.body['eventId']);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ topic: 'flowline.pipeline-events.v1', message_key: `account:${String(created.body['id'])}` });
    expect(events[0]!.envelope.payload).toMatchObject({
      message: 'Create',
      entity: 'account',
      preImage: null,
      postImage: { name: 'Contoso', creditlimit: 5000 },
      changedAttributes: expect.arrayContaining(['creditlimit', 'name']),
      depth: 1,
      initiatingUserId: 'alice',
    });
  });

  it('updates with optimistic concurrency and reports exactly the changed attributes', async () => {
    const created = await harness.call('POST', '/api/v1/records/account', { name: 'Fabrikam', creditlimit: 100 });
    const id = String(created.body['id']);
    const stale = await harness.call('PATCH', `/api/v1/records/account/${id}`, { creditlimit: 200 }, { 'if-match': '"7"' });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      error: { code: 'VERSION_CONFLICT', message: `account ${id} is at version 1, not 7: read it again and reapply your change` },
    });
    const updated = await harness.call(
      'PATCH',
      `/api/v1/records/account/${id}`,
      { creditlimit: 200, name: 'Fabrikam' },
      { 'if-match': '"1"' },
    );
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ version: 2, record: { creditlimit: 200 } });
    const event = (await harness.outbox()).find((row) => row.envelope.id === updated.body['eventId'])!;
    expect(event.envelope.payload).toMatchObject({
      message: 'Update',
      changedAttributes: ['creditlimit'],
      preImage: { creditlimit: 100 },
      postImage: { creditlimit: 200 },
    });
  });

  it('refuses invalid attributes naming each field, and writes nothing', async () => {
    const before = (await harness.outbox()).length;
    const refused = await harness.call('POST', '/api/v1/records/account', { nmae: 'x', creditlimit: 'lots', industrycode: 99 });
    expect(refused.status).toBe(400);
    const error = refused.body['error'] as { code: string; violations: Array<{ field: string }> };
    expect(error.code).toBe('INVALID_TARGET');
    expect(error.violations.map((violation) => violation.field)).toEqual([
      'target.nmae',
      'target.creditlimit',
      'target.industrycode',
      'target.name',
    ]);
    const lookup = await harness.call('POST', '/api/v1/records/account', {
      name: 'x',
      primarycontactid: { entity: 'contact', id: '6a1b4f5e-0000-4000-8000-000000000000' },
    });
    expect(lookup.body).toMatchObject({ error: { violations: [{ field: 'target.primarycontactid', code: 'LOOKUP_NOT_FOUND' }] } });
    expect((await harness.outbox()).length).toBe(before);
  });

  it('runs steps by stage and rank, lets stage 20 change the target, and signs webhook bodies', async () => {
    await register({
      name: 'default industry',
      stage: 10,
      rank: 1,
      handler: { builtIn: { name: 'flowline.field-defaulting' } },
      unsecureConfiguration: '{"defaults":{"industrycode":7}}',
    });
    await register({
      name: 'enrich second',
      stage: 20,
      rank: 2,
      handler: { webhook: { url: `${hookUrl}/enrich-2`, timeoutMs: 5000 } },
      secureConfiguration: 'step-secret',
    });
    await register({
      name: 'enrich first',
      stage: 20,
      rank: 1,
      handler: { webhook: { url: `${hookUrl}/enrich-1`, timeoutMs: 5000 } },
      secureConfiguration: 'step-secret',
    });
    await register({
      name: 'notify',
      stage: 40,
      rank: 1,
      handler: { webhook: { url: `${hookUrl}/notify`, timeoutMs: 5000 } },
      images: [{ alias: 'after', type: ImageType.IMAGE_TYPE_POST, attributes: ['name', 'accountnumber'] }],
    });
    answers.set('/enrich-1', { status: 200, body: { target: { accountnumber: 'ACC-1' }, sharedVariables: { seenBy: 'enrich-1' } } });

    const created = await harness.call('POST', '/api/v1/records/account', { name: 'Northwind' });
    expect(created.status).toBe(201);
    expect(calls.map((call) => call.path)).toEqual(['/enrich-1', '/enrich-2', '/notify']);
    expect(created.body['record']).toMatchObject({ industrycode: 7, accountnumber: 'ACC-1' });
    const second = calls[1]!;
    expect(second.signature).toBe(`sha256=${createHmac('sha256', 'step-secret').update(second.raw).digest('hex')}`);
    // Standard Webhooks: a receiver using the scheme's library verifies the delivery with the step's secret.
    expect(new Webhook('step-secret', { format: 'raw' }).verify(second.raw, second.headers)).toMatchObject({ stepName: 'enrich second' });
    expect(second.body.context).toMatchObject({
      stage: 20,
      sharedVariables: { seenBy: 'enrich-1' },
      inputParameters: { Target: { name: 'Northwind', accountnumber: 'ACC-1' } },
    });
    expect(calls[2]!.body.context).toMatchObject({ stage: 40, postEntityImages: { after: { name: 'Northwind', accountnumber: 'ACC-1' } } });
  });

  it('rolls everything back when a stage-20 webhook cancels, and the caller gets its message', async () => {
    answers.set('/enrich-1', { status: 200, body: { cancel: { message: 'Accounts in this region need a manager' } } });
    const before = (await harness.outbox()).length;
    const refused = await harness.call('POST', '/api/v1/records/account', { name: 'Refused Ltd' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: { code: 'STEP_REFUSED', message: "step 'enrich first' refused Create of account: Accounts in this region need a manager" },
    });
    const listed = await harness.call('GET', '/api/v1/records/account?name=Refused%20Ltd');
    expect(listed.body['records']).toEqual([]);
    expect((await harness.outbox()).length).toBe(before);
    answers.delete('/enrich-1');
  });

  it('refuses when a webhook does not answer within its timeout, and runs custom messages through their steps', async () => {
    await register({
      name: 'slow check',
      message: 'Create',
      primaryEntity: 'lead',
      stage: 20,
      handler: { webhook: { url: `${hookUrl}/never`, timeoutMs: 300 } },
    });
    const slow = await harness.call('POST', '/api/v1/records/lead', { subject: 'Timeout' });
    expect(slow.status).toBe(409);
    expect(slow.body).toMatchObject({
      error: { code: 'STEP_REFUSED', message: expect.stringContaining(`webhook ${hookUrl}/never did not answer within 300 ms`) },
    });

    await register({
      name: 'quote',
      message: 'CalculateQuote',
      primaryEntity: 'opportunity',
      stage: 40,
      handler: { webhook: { url: `${hookUrl}/quote`, timeoutMs: 5000 } },
    });
    answers.set('/quote', { status: 200, body: { outputParameters: { quote: 4200 } } });
    const quoted = await harness.call('POST', '/api/v1/messages/CalculateQuote', { entity: 'opportunity', parameters: { units: 3 } });
    expect(quoted.status).toBe(200);
    expect(quoted.body).toMatchObject({ output: { quote: 4200 } });
    expect(calls.find((call) => call.path === '/quote')!.body.context).toMatchObject({
      messageName: 'CalculateQuote',
      inputParameters: { units: 3 },
    });
    const unknown = await harness.call('POST', '/api/v1/messages/Teleport', { entity: 'opportunity' });
    expect(unknown.body).toMatchObject({
      error: { code: 'UNKNOWN_MESSAGE', message: "no message 'Teleport' for opportunity: register a step for it in the registry" },
    });
  });

  it('answers a repeated idempotency key with the first result and emits nothing new', async () => {
    const first = await harness.call('POST', '/api/v1/records/contact', { lastname: 'Once' }, { 'idempotency-key': 'op-1:step-1' });
    const before = (await harness.outbox()).length;
    const again = await harness.call('POST', '/api/v1/records/contact', { lastname: 'Once' }, { 'idempotency-key': 'op-1:step-1' });
    expect(again.status).toBe(200);
    expect(again.headers.get('x-flowline-replayed')).toBe('true');
    expect(again.body['id']).toBe(first.body['id']);
    expect((await harness.outbox()).length).toBe(before);
    const reused = await harness.call('POST', '/api/v1/records/contact', { lastname: 'Different' }, { 'idempotency-key': 'op-1:step-1' });
    expect(reused.body).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    const all = await harness.call('GET', '/api/v1/records/contact?lastname=Once');
    expect(all.body['records']).toHaveLength(1);
  });

  it('aborts an operation whose chain reaches depth 8 within the hour as a loop', async () => {
    const headers = { 'x-correlation-id': 'deep-chain' };
    const seven = await harness.call('POST', '/api/v1/records/contact', { lastname: 'Deep' }, { ...headers, 'x-flowline-depth': '7' });
    expect(seven.status).toBe(201);
    const refused = await harness.call('POST', '/api/v1/records/contact', { lastname: 'Deeper' }, { ...headers, 'x-flowline-depth': '8' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      error: {
        code: 'LOOP_DETECTED',
        message:
          'Create of contact reached depth 8 within 60 minute(s) of correlation deep-chain (the limit is 8): plug-ins or workflows are triggering each other in a loop, so it was aborted',
      },
    });
    expect((await harness.call('GET', '/api/v1/records/contact?lastname=Deeper')).body['records']).toEqual([]);
  });

  it('assigns, sets state, retrieves, queries and deletes', async () => {
    const created = await harness.call('POST', '/api/v1/records/incident', { title: 'Printer on fire', prioritycode: 1 });
    const id = String(created.body['id']);
    const assigned = await harness.call('POST', '/api/v1/messages/Assign', {
      entity: 'incident',
      id,
      parameters: { assignee: { entity: 'team', id: 'support' } },
    });
    expect(assigned.body).toMatchObject({ record: { ownerid: { entity: 'team', id: 'support' } }, version: 2 });
    const badState = await harness.call('POST', '/api/v1/messages/SetState', {
      entity: 'incident',
      id,
      parameters: { state: 1, status: 2 },
    });
    expect(badState.body).toMatchObject({ error: { code: 'INVALID_PARAMETERS', violations: [{ field: 'parameters.status' }] } });
    const resolved = await harness.call('POST', '/api/v1/messages/SetState', {
      entity: 'incident',
      id,
      parameters: { state: 1, status: 5 },
    });
    expect(resolved.body).toMatchObject({ record: { statecode: 1, statuscode: 5 } });
    const event = (await harness.outbox()).find((row) => row.envelope.id === resolved.body['eventId'])!;
    expect(event.envelope.payload['changedAttributes']).toEqual(['statecode', 'statuscode']);

    await harness.call('POST', '/api/v1/records/incident', { title: 'Minor', prioritycode: 3 });
    const query = await harness.call('POST', '/api/v1/messages/RetrieveMultiple', {
      entity: 'incident',
      parameters: {
        conditions: [{ attribute: 'prioritycode', operator: 'le', value: 3 }],
        orderBy: [{ attribute: 'prioritycode', descending: true }],
        pageSize: 1,
      },
      columns: ['title'],
    });
    expect(query.body).toMatchObject({ totalCount: 2, records: [{ title: 'Minor' }] });
    expect(Object.keys((query.body['records'] as Array<Record<string, unknown>>)[0]!).sort()).toEqual(['incidentid', 'title']);
    const page2 = await harness.call('POST', '/api/v1/messages/RetrieveMultiple', {
      entity: 'incident',
      parameters: {
        conditions: [{ attribute: 'prioritycode', operator: 'le', value: 3 }],
        orderBy: [{ attribute: 'prioritycode', descending: true }],
        pageSize: 1,
        pageToken: query.body['nextPageToken'],
      },
    });
    expect(page2.body).toMatchObject({ records: [{ title: 'Printer on fire' }], nextPageToken: '' });

    const deleted = await harness.call('DELETE', `/api/v1/records/incident/${id}`);
    expect(deleted.status).toBe(200);
    const deleteEvent = (await harness.outbox()).find((row) => row.envelope.id === deleted.body['eventId'])!;
    expect(deleteEvent.envelope.payload).toMatchObject({ message: 'Delete', postImage: null, preImage: { title: 'Printer on fire' } });
    expect((await harness.call('GET', `/api/v1/records/incident/${id}`)).status).toBe(404);
  });

  it('filters on a lookup by plain id or by reference, and refuses a malformed one naming the field', async () => {
    const contoso = String((await harness.call('POST', '/api/v1/records/account', { name: 'Lookup Contoso' })).body['id']);
    const fabrikam = String((await harness.call('POST', '/api/v1/records/account', { name: 'Lookup Fabrikam' })).body['id']);
    const call = await harness.call('POST', '/api/v1/records/task', {
      subject: 'Lookup call',
      regardingobjectid: { entity: 'account', id: contoso },
    });
    const visit = await harness.call('POST', '/api/v1/records/task', {
      subject: 'Lookup visit',
      regardingobjectid: { entity: 'account', id: fabrikam },
    });
    const subjects = (body: Record<string, unknown>) => (body['records'] as Array<{ subject: string }>).map((task) => task.subject).sort();

    const byId = await harness.call('GET', `/api/v1/records/task?regardingobjectid=${contoso}`);
    expect(byId.status).toBe(200);
    expect(subjects(byId.body)).toEqual(['Lookup call']);
    const byReference = await harness.call('POST', '/api/v1/messages/RetrieveMultiple', {
      entity: 'task',
      parameters: { conditions: [{ attribute: 'regardingobjectid', operator: 'eq', value: { entity: 'account', id: contoso } }] },
    });
    expect(subjects(byReference.body)).toEqual(['Lookup call']);
    const either = await harness.call('POST', '/api/v1/messages/RetrieveMultiple', {
      entity: 'task',
      parameters: {
        conditions: [{ attribute: 'regardingobjectid', operator: 'in', value: [contoso, { entity: 'account', id: fabrikam }] }],
      },
    });
    expect(subjects(either.body)).toEqual(['Lookup call', 'Lookup visit']);
    const notContoso = await harness.call('POST', '/api/v1/messages/RetrieveMultiple', {
      entity: 'task',
      parameters: {
        conditions: [
          { attribute: 'regardingobjectid', operator: 'ne', value: contoso },
          { attribute: 'subject', operator: 'like', value: 'Lookup%' },
        ],
      },
    });
    expect(subjects(notContoso.body)).toEqual(['Lookup visit']);
    const own = await harness.call('GET', `/api/v1/records/task?activityid=${String(visit.body['id'])}&ownerid=alice`);
    expect(subjects(own.body)).toEqual(['Lookup visit']);
    expect(call.status).toBe(201);

    const malformed = await harness.call('GET', '/api/v1/records/task?regardingobjectid=contoso');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({
      error: {
        code: 'QUERY_INVALID',
        violations: [
          {
            field: 'parameters.conditions[0].value',
            code: 'REFERENCE',
            description: expect.stringContaining('expected a record id (a UUID) or a reference such as {"entity": "account", "id": "..."}'),
          },
        ],
      },
    });
    const wrongEntity = await harness.call('POST', '/api/v1/messages/RetrieveMultiple', {
      entity: 'task',
      parameters: { conditions: [{ attribute: 'regardingobjectid', operator: 'gt', value: contoso }] },
    });
    expect(wrongEntity.body).toMatchObject({ error: { violations: [{ field: 'parameters.conditions[0].operator', code: 'OPERATOR' }] } });
    const otherEntity = await harness.call('POST', '/api/v1/messages/RetrieveMultiple', {
      entity: 'task',
      parameters: { conditions: [{ attribute: 'regardingobjectid', operator: 'eq', value: { entity: 'systemuser', id: contoso } }] },
    });
    expect(otherEntity.body).toMatchObject({ error: { violations: [{ field: 'parameters.conditions[0].value', code: 'LOOKUP_TARGET' }] } });
  });

  it("reads query-string filters as each attribute's type, and refuses a value that can never match", async () => {
    await harness.call('POST', '/api/v1/records/account', {
      name: 'Typed filters',
      accountnumber: '007',
      creditlimit: 250,
      creditonhold: true,
    });
    const byText = await harness.call('GET', '/api/v1/records/account?accountnumber=007');
    expect(byText.body['records']).toEqual([expect.objectContaining({ name: 'Typed filters' })]);
    const byNumberAndFlag = await harness.call(
      'GET',
      '/api/v1/records/account?name=Typed%20filters&creditlimit=250&creditonhold=true&statecode=0',
    );
    expect(byNumberAndFlag.body['records']).toHaveLength(1);
    const refused = await harness.call('GET', '/api/v1/records/account?creditlimit=lots');
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: {
        code: 'QUERY_INVALID',
        violations: [
          { field: 'parameters.conditions[0].value', code: 'VALUE', description: `'creditlimit' holds numbers: "lots" can never match` },
        ],
      },
    });
    const listed = await harness.call('POST', '/api/v1/messages/RetrieveMultiple', {
      entity: 'account',
      parameters: { conditions: [{ attribute: 'creditonhold', operator: 'in', value: [true, 'maybe'] }] },
    });
    expect(listed.body).toMatchObject({ error: { violations: [{ field: 'parameters.conditions[0].value[1]', code: 'VALUE' }] } });
  });

  it('executes over gRPC with the same pipeline, and refuses calls without a token', async () => {
    const execute = harness.gateway.client<PromiseClient<GatewayProto.ExecuteServiceClient>>(
      ProtoFiles.gateway,
      'flowline.gateway.v1.ExecuteService',
      ['service'],
    );
    const created = await execute.execute({
      message: 'Create',
      entity: 'contact',
      id: '',
      targetJson: JSON.stringify({ lastname: 'Grpc' }),
      parametersJson: '',
      expectedVersion: 0,
      idempotencyKey: '',
      depth: 2,
      correlationId: 'corr-grpc',
      columns: [],
      operationsJson: '',
    });
    expect(JSON.parse(created.recordJson)).toMatchObject({ lastname: 'Grpc', versionnumber: 1 });
    const event = (await harness.outbox()).find((row) => row.envelope.id === created.eventId)!;
    expect(event.envelope.payload).toMatchObject({ depth: 2, correlationId: 'corr-grpc', origin: 'test-service' });
    const anonymous = harness.gateway.client<PromiseClient<GatewayProto.ExecuteServiceClient>>(
      ProtoFiles.gateway,
      'flowline.gateway.v1.ExecuteService',
      null,
    );
    await expect(
      anonymous.execute({
        message: 'Retrieve',
        entity: 'contact',
        id: created.id,
        targetJson: '',
        parametersJson: '',
        expectedVersion: 0,
        idempotencyKey: '',
        depth: 0,
        correlationId: '',
        columns: [],
        operationsJson: '',
      }),
    ).rejects.toMatchObject({ grpcCode: status.UNAUTHENTICATED });
    const http = await fetch(`${harness.gateway.httpUrl}/api/v1/records/contact/${created.id}`);
    expect(http.status).toBe(401);
  });

  it('writes a plain Create in one statement: an existing id is refused with no event, and racing calls with one key make one record', async () => {
    const create = plainCreate();
    const id = '5f0c8a9e-1b7d-4a53-9e0f-3c2d1a4b5e6f';
    const first = await create(id, 'Plain');
    expect(JSON.parse(first.recordJson)).toEqual({ contactid: id, lastname: 'Plain' });
    const stored = await harness.call('GET', `/api/v1/records/contact/${id}`);
    expect(stored.body['record']).toMatchObject({ lastname: 'Plain', versionnumber: 1, statecode: 0, ownerid: { entity: 'systemuser' } });
    const event = (await harness.outbox()).find((row) => row.envelope.id === first.eventId)!;
    expect(event.envelope.payload).toMatchObject({ message: 'Create', recordId: id, recordVersion: 1, preImage: null });

    const before = (await harness.outbox()).length;
    await expect(create(id, 'Again')).rejects.toMatchObject({ grpcCode: status.ALREADY_EXISTS });
    expect((await harness.outbox()).length).toBe(before);
    expect((await harness.call('GET', `/api/v1/records/contact/${id}`)).body['record']).toMatchObject({ lastname: 'Plain' });

    const racing = await Promise.all([1, 2, 3, 4].map(() => create('', 'Raced', 'plain-create-race')));
    expect(new Set(racing.map((answer) => answer.id)).size).toBe(1);
    expect(racing.filter((answer) => !answer.replayed)).toHaveLength(1);
    expect((await harness.call('GET', '/api/v1/records/contact?lastname=Raced')).body['records']).toHaveLength(1);
  });

  it('writes Creates that arrive together in shared statements, each caller still answered for its own record', async () => {
    const create = plainCreate();
    const existing = (await create('', 'Grouped existing')).id;
    const twice = '7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const groupedSize = async () => {
      const text = await (await fetch(`${harness.gateway.httpUrl}/metrics`)).text();
      return {
        count: Number(/^flowline_gateway_create_group_size_count(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1]),
        alone: Number(/^flowline_gateway_create_group_size_bucket\{(?:[^}]*,)?le="1"[,}].* (\d+)$/m.exec(text)?.[1]),
      };
    };
    const before = await groupedSize();
    expect(before.count).toBeGreaterThan(0);
    const outboxBefore = (await harness.outbox()).length;
    // 60 at once: new records, one id twice, an id that exists, and two calls with one key.
    const calls = [
      ...Array.from({ length: 54 }, (_, i) => create('', `Grouped ${i}`)),
      create(twice, 'Grouped twice A'),
      create(twice, 'Grouped twice B'),
      create(existing, 'Grouped again'),
      create('', 'Grouped keyed', 'grouped-create-key'),
      create('', 'Grouped keyed', 'grouped-create-key'),
      create('', 'Grouped last'),
    ];
    const outcomes = await Promise.allSettled(calls);
    const answered = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined));
    const refused = outcomes.map((outcome) =>
      outcome.status === 'rejected' ? (outcome.reason as { grpcCode?: number }).grpcCode : undefined,
    );
    // Each new record created for its own caller, with its own event.
    for (const [i, answer] of answered.slice(0, 54).entries()) {
      expect(answer).toBeDefined();
      expect(JSON.parse(answer!.recordJson)).toMatchObject({ lastname: `Grouped ${i}` });
    }
    // One of the two Creates of one id made it; the other, and the existing id, were refused as ALREADY_EXISTS.
    expect([answered[54], answered[55]].filter(Boolean)).toHaveLength(1);
    expect([refused[54], refused[55]].filter((code) => code !== undefined)).toEqual([status.ALREADY_EXISTS]);
    expect(refused[56]).toBe(status.ALREADY_EXISTS);
    // One key: one record, the second call answered with the first's result.
    expect(answered[57]!.id).toBe(answered[58]!.id);
    expect([answered[57]!.replayed, answered[58]!.replayed].sort()).toEqual([false, true]);
    expect(answered[59]).toBeDefined();
    // Exactly one pipeline event per record created: 54 + 1 + 1 + 1.
    const events = (await harness.outbox()).slice(outboxBefore);
    expect(events).toHaveLength(57);
    const created = answered.filter((answer) => answer && !answer.replayed).map((answer) => answer!.eventId);
    expect(new Set(events.map((row) => row.envelope.id))).toEqual(new Set(created));
    for (const row of events) expect(row.message_key).toContain(String(row.envelope.payload['recordId']));
    // Fewer statements than Creates: some went together.
    const after = await groupedSize();
    expect(after.count - before.count).toBeLessThan(60);
    expect(after.count - before.count - (after.alone - before.alone)).toBeGreaterThan(0);
  });
});

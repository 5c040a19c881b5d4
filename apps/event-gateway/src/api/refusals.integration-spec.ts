/**
 * Hostile and sloppy input at the gateway's REST and gRPC edges, through a real gateway and
 * registry: each answer is a 4xx (INVALID_ARGUMENT over gRPC) in the documented shape
 * `{error: {code, message, violations}}` naming the field, never a 500, and nothing is written.
 */
import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import { GatewayProto, ProtoFiles, type PromiseClient, type RpcCallError } from '@flowline/rpc';
import { testToken } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startGateway, type GatewayHarness } from '../../test/gateway-harness';

type Violation = { field: string; code?: string; description: string };
type ErrorBody = { error: { code: string; message: string; violations: Violation[] } };

/** Bounded runs; FLOWLINE_FC_SEED replays a failing run (fast-check prints the seed it used). */
const seed = process.env['FLOWLINE_FC_SEED'];

/** Percent-encodes the UTF-8 bytes of a text (encodeURIComponent throws on a lone surrogate). */
const percentEncoded = (text: string) => Array.from(Buffer.from(text, 'utf8'), (byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

describe('the gateway refuses bad input precisely', () => {
  let harness: GatewayHarness;
  let accountId: string;
  beforeAll(async () => {
    harness = await startGateway();
    accountId = String((await harness.call('POST', '/api/v1/records/account', { name: 'Refusals Contoso' })).body['id']);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await harness?.stop();
  });

  const refused = async (answer: Promise<{ status: number; body: Record<string, unknown> }>, expected: number = 400) => {
    const { status: got, body } = await answer;
    expect({ status: got, shape: Object.keys(body) }).toEqual({ status: expected, shape: ['error'] });
    return (body as unknown as ErrorBody).error;
  };
  const query = (parameters: unknown, extra: Record<string, unknown> = {}) =>
    harness.call('POST', '/api/v1/messages/RetrieveMultiple', { entity: 'account', parameters, ...extra });

  it('refuses RetrieveMultiple parameters of the wrong shape at their field', async () => {
    expect((await refused(query({ conditions: 'name eq Contoso' }))).violations).toEqual([
      expect.objectContaining({ field: 'parameters.conditions', code: 'SHAPE' }),
    ]);
    expect((await refused(query({ orderBy: 'name' }))).violations).toEqual([
      expect.objectContaining({ field: 'parameters.orderBy', code: 'SHAPE' }),
    ]);
    expect((await refused(query({ orderBy: [null] }))).violations).toEqual([
      expect.objectContaining({ field: 'parameters.orderBy[0]', code: 'SHAPE' }),
    ]);
    expect((await refused(query({ pageToken: 5 }))).violations).toEqual([
      expect.objectContaining({ field: 'parameters.pageToken', code: 'PAGE_TOKEN' }),
    ]);
    expect((await refused(query('everything'))).violations).toEqual([expect.objectContaining({ field: 'parameters' })]);
    expect((await refused(query({}, { columns: 'name' }))).violations).toEqual([expect.objectContaining({ field: 'columns' })]);
    const retrieve = (body: Record<string, unknown>) => harness.call('POST', '/api/v1/messages/Retrieve', { entity: 'account', ...body });
    expect((await refused(retrieve({ id: 5 }))).violations).toEqual([expect.objectContaining({ field: 'id' })]);
    expect((await refused(retrieve({ id: accountId, idempotencyKey: {} }))).violations).toEqual([
      expect.objectContaining({ field: 'idempotencyKey' }),
    ]);
    const update = await refused(
      harness.call('POST', '/api/v1/messages/Update', { entity: 'account', id: accountId, target: {}, expectedVersion: 'latest' }),
    );
    expect(update.violations).toEqual([expect.objectContaining({ field: 'expectedVersion' })]);
  });

  it('refuses a NUL character in an attribute value, a query filter, a condition or a parameter, naming the field', async () => {
    const created = await refused(harness.call('POST', '/api/v1/records/account', { name: 'Con\u0000toso' }));
    expect(created).toEqual({
      code: 'BAD_CHARACTER',
      message:
        '1 text(s) hold a character no record can store (a NUL character or a lone UTF-16 surrogate): target.name: the text holds a NUL character (\\u0000) at position 3: remove it',
      violations: [
        { field: 'target.name', code: 'BAD_CHARACTER', description: 'the text holds a NUL character (\\u0000) at position 3: remove it' },
      ],
    });
    const filtered = await refused(harness.call('GET', '/api/v1/records/account?name=a%00b'));
    expect(filtered.violations).toEqual([
      { field: 'name', code: 'BAD_CHARACTER', description: 'the text holds a NUL character (\\u0000) at position 1: remove it' },
    ]);
    const like = await refused(query({ conditions: [{ attribute: 'name', operator: 'like', value: 'a\u0000%' }] }));
    expect(like.violations).toEqual([expect.objectContaining({ field: 'parameters.conditions[0].value', code: 'BAD_CHARACTER' })]);
    const patched = await refused(harness.call('PATCH', `/api/v1/records/account/${accountId}`, { description: 'x\u0000' }));
    expect(patched.violations).toEqual([expect.objectContaining({ field: 'target.description', code: 'BAD_CHARACTER' })]);
    const appended = await refused(
      harness.call('PATCH', `/api/v1/records/account/${accountId}`, { $operations: { name: { op: 'append', value: '\u0000' } } }),
    );
    expect(appended.violations).toEqual([expect.objectContaining({ field: 'operations.name.value', code: 'BAD_CHARACTER' })]);
    const assigned = await refused(
      harness.call('POST', '/api/v1/messages/Assign', {
        entity: 'account',
        id: accountId,
        parameters: { assignee: { entity: 'systemuser', id: 'bob\u0000' } },
      }),
    );
    expect(assigned.violations).toEqual([expect.objectContaining({ field: 'parameters.assignee.id', code: 'BAD_CHARACTER' })]);
    // Nothing was written.
    const record = await harness.call('GET', `/api/v1/records/account/${accountId}`);
    expect(record.body['record']).toMatchObject({ name: 'Refusals Contoso', versionnumber: 1 });
  });

  it('refuses a lone UTF-16 surrogate in a value, naming the field', async () => {
    const answer = await refused(harness.call('POST', '/api/v1/records/account', { name: 'Contoso \ud800' }));
    expect(answer.violations).toEqual([
      {
        field: 'target.name',
        code: 'BAD_CHARACTER',
        description: 'the text holds a lone UTF-16 surrogate (\\ud800) at position 8: text must be valid Unicode',
      },
    ]);
  });

  it('refuses a column the entity does not have, on a query and on a retrieve, naming it', async () => {
    const listed = await refused(harness.call('GET', '/api/v1/records/account?columns=name,nosuch'));
    expect(listed).toMatchObject({
      code: 'UNKNOWN_COLUMN',
      violations: [{ field: 'columns[1]', code: 'UNKNOWN_COLUMN', description: "entity 'account' has no column 'nosuch'" }],
    });
    const retrieved = await refused(harness.call('GET', `/api/v1/records/account/${accountId}?columns=nmae`));
    expect(retrieved.violations).toEqual([
      { field: 'columns[0]', code: 'UNKNOWN_COLUMN', description: "entity 'account' has no column 'nmae'; did you mean 'name'?" },
    ]);
    const good = await harness.call('GET', `/api/v1/records/account/${accountId}?columns=name,versionnumber`);
    expect(good.body['record']).toEqual({ accountid: accountId, name: 'Refusals Contoso', versionnumber: 1 });
  });

  it('refuses a query parameter given twice, naming it', async () => {
    const answer = await refused(harness.call('GET', '/api/v1/records/account?orderBy=name&orderBy=creditlimit'));
    expect(answer.violations).toEqual([expect.objectContaining({ field: 'orderBy', code: 'QUERY_PARAMETER' })]);
  });

  it('refuses a form-encoded record body with 415 rather than taking it as a record', async () => {
    const response = await fetch(`${harness.gateway.httpUrl}/api/v1/records/account`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken(['user'], 'alice')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Form+Contoso',
    });
    expect(response.status).toBe(415);
    const body = (await response.json()) as ErrorBody;
    expect(body.error).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      violations: [{ field: 'Content-Type', description: 'expected application/json, got application/x-www-form-urlencoded' }],
    });
  });

  it('answers INVALID_ARGUMENT over gRPC for a NUL in a target or an unknown column, with the field', async () => {
    const client = harness.gateway.client<PromiseClient<GatewayProto.ExecuteServiceClient>>(
      ProtoFiles.gateway,
      'flowline.gateway.v1.ExecuteService',
      ['user'],
    );
    const request = (overrides: Partial<GatewayProto.ExecuteRequest>): GatewayProto.ExecuteRequest => ({
      message: 'Create',
      entity: 'account',
      id: '',
      targetJson: '{"name": "gRPC Contoso"}',
      operationsJson: '',
      parametersJson: '',
      expectedVersion: 0,
      idempotencyKey: '',
      depth: 0,
      correlationId: '',
      columns: [],
      ...overrides,
    });
    const failure = (call: Promise<unknown>) =>
      call.then(
        () => undefined,
        (thrown: unknown) => thrown as RpcCallError,
      );
    const nul = await failure(client.execute(request({ targetJson: '{"name": "a\\u0000b"}' })));
    expect(nul).toMatchObject({
      grpcCode: status.INVALID_ARGUMENT,
      code: 'BAD_CHARACTER',
      violations: [expect.objectContaining({ field: 'target.name' })],
    });
    const column = await failure(client.execute(request({ message: 'RetrieveMultiple', targetJson: '', columns: ['nosuch'] })));
    expect(column).toMatchObject({
      grpcCode: status.INVALID_ARGUMENT,
      code: 'UNKNOWN_COLUMN',
      violations: [expect.objectContaining({ field: 'columns[0]' })],
    });
  });

  it('never answers 5xx for any text in a record value or a query filter (property, seed printed on failure)', async () => {
    const nasty = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\udbff', '%', "'; DROP TABLE", '\\', '{"a":1}', '😀'),
    );
    await fc.assert(
      fc.asyncProperty(nasty, fc.constantFrom('name', 'description', 'creditlimit', 'nosuch'), async (text, attribute) => {
        const written = await harness.call('POST', '/api/v1/records/account', { name: 'Property', [attribute]: text });
        expect(written.status).toBeLessThan(500);
        if (written.status >= 400) expect((written.body as unknown as ErrorBody).error.violations.length).toBeGreaterThan(0);
        const read = await harness.call('GET', `/api/v1/records/account?${attribute}=${percentEncoded(text)}`);
        expect(read.status).toBeLessThan(500);
      }),
      { numRuns: 40, ...(seed ? { seed: Number(seed) } : {}) },
    );
  }, 120_000);
  it('never answers 5xx for any JSON in any field of any message (property, seed printed on failure)', async () => {
    const field = fc.constantFrom('entity', 'id', 'target', 'parameters', 'columns', 'operations', 'expectedVersion', 'idempotencyKey');
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom('account', accountId, '\u0000', { name: 'x' }, { conditions: 'x' }, ['name'], -1, 1.5),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('Create', 'Update', 'Retrieve', 'RetrieveMultiple', 'Delete', 'Assign', 'SetState'),
        fc.dictionary(field, value, { maxKeys: 5, noNullPrototype: true }),
        async (message, body) => {
          const answer = await harness.call('POST', `/api/v1/messages/${message}`, { entity: 'account', ...body });
          expect({ message, body, status: answer.status < 500 ? 'not 5xx' : answer.body }).toEqual({ message, body, status: 'not 5xx' });
        },
      ),
      { numRuns: 150, ...(seed ? { seed: Number(seed) } : {}) },
    );
  }, 300_000);
});

/**
 * The gateway's REST answers against its own /openapi.json: every documented operation called
 * on a real gateway (and registry), successes and refusals, each answer checked by ajv against
 * the document's JSON schema for its status.
 */
import { OpenApiConformance } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startGateway, type GatewayHarness } from '../../test/gateway-harness';

type Body = Record<string, unknown>;
const errorOf = (body: unknown) => (body as { error: { code: string; violations: Body[] } }).error;

describe('the gateway answers as its OpenAPI document says', () => {
  let harness: GatewayHarness;
  let api: OpenApiConformance;
  beforeAll(async () => {
    harness = await startGateway({ WEBHOOK_SECRET_OPENAPI_HOOK: 'openapi-hook-token' });
    api = await OpenApiConformance.of(harness.gateway.httpUrl);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await harness?.stop();
  });

  it('serves the document without a token', async () => {
    const answer = await fetch(`${harness.gateway.httpUrl}/openapi.json`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ openapi: '3.1.0', info: { title: 'Flowline event gateway' } });
  });

  it('creates, reads, lists, updates and deletes a record, and runs a message, as documented', async () => {
    const user = { roles: ['user' as const] };
    const created = await api.call('POST', '/api/v1/records/account', { ...user, body: { name: 'OpenAPI Contoso', creditlimit: 100 } });
    expect(created).toMatchObject({ status: 201, body: { version: 1, replayed: false, record: { name: 'OpenAPI Contoso' } } });
    const id = (created.body as Body)['id'] as string;
    const keyed = { ...user, body: { name: 'Keyed' }, headers: { 'idempotency-key': `openapi-${id}` } };
    await api.call('POST', '/api/v1/records/account', keyed);
    expect((await api.call('POST', '/api/v1/records/account', keyed)).status).toBe(200);

    expect((await api.call('GET', `/api/v1/records/account/${id}?columns=name`, user)).body).toMatchObject({
      record: { name: 'OpenAPI Contoso' },
    });
    const listed = await api.call('GET', '/api/v1/records/account?name=OpenAPI%20Contoso&pageSize=5&orderBy=name', user);
    expect(listed.body).toMatchObject({ records: [{ name: 'OpenAPI Contoso' }], totalCount: 1 });
    const updated = await api.call('PATCH', `/api/v1/records/account/${id}`, {
      ...user,
      body: { name: 'OpenAPI Contoso Ltd', $operations: { creditlimit: { op: 'increment', value: 5 } } },
      headers: { 'if-match': '"1"' },
    });
    expect(updated.body).toMatchObject({ version: 2, record: { name: 'OpenAPI Contoso Ltd', creditlimit: 105 } });
    const message = await api.call('POST', '/api/v1/messages/Retrieve', {
      ...user,
      body: { entity: 'account', id, columns: ['creditlimit'] },
    });
    expect(message.body).toMatchObject({ record: { creditlimit: 105 } });
    expect((await api.call('GET', '/api/v1/metadata', user)).body).toMatchObject({ ready: true });
    expect((await api.call('DELETE', `/api/v1/records/account/${id}`, { ...user, headers: { 'if-match': '"2"' } })).status).toBe(200);
  });

  it('refuses in the documented Error shape, naming the field', async () => {
    const user = { roles: ['user' as const] };
    const twice = await api.call('GET', '/api/v1/records/account?name=a&name=b', user);
    expect(errorOf(twice.body)).toMatchObject({
      code: 'QUERY_INVALID',
      violations: [{ field: 'name', code: 'QUERY_PARAMETER', description: 'give the query parameter once, as text; got it several times' }],
    });
    const columns = await api.call('POST', '/api/v1/messages/Retrieve', {
      ...user,
      body: { entity: 'account', id: 'x', columns: ['name', 3] },
    });
    expect(errorOf(columns.body)).toMatchObject({
      code: 'INVALID_REQUEST',
      violations: [{ field: 'columns[1]', description: 'expected an attribute name, got number' }],
    });
    const version = await api.call('POST', '/api/v1/messages/Update', {
      ...user,
      body: { entity: 'account', id: 'x', expectedVersion: -1 },
    });
    expect(errorOf(version.body)).toMatchObject({ code: 'INVALID_REQUEST', violations: [{ field: 'expectedVersion' }] });
    const list = await api.call('POST', '/api/v1/records/account', { ...user, body: [1] });
    expect(errorOf(list.body)).toMatchObject({ code: 'INVALID_REQUEST', violations: [{ field: 'target' }] });
    const stale = await api.call('PATCH', '/api/v1/records/account/00000000-0000-4000-8000-000000000000', { ...user, body: { name: 'x' } });
    expect(stale.status).toBe(404);
    expect((await api.call('GET', '/api/v1/records/account', { roles: null })).status).toBe(401);
  });

  it('takes a webhook call, and refuses a bad one, as documented', async () => {
    await harness.activate({
      schemaVersion: 1,
      name: 'OpenAPI hook',
      uniqueName: 'openapi-hook',
      category: 'workflow',
      primaryEntity: 'account',
      triggers: [{ on: 'webhook', auth: 'token', secret: 'openapi-hook' }],
      inputs: [{ name: 'subject', type: 'string', required: true }],
      steps: [{ id: 'make', type: 'createRecord', entity: 'task', set: { subject: '{{inputs.subject}}' } }],
    });
    const hook = { roles: null, headers: { authorization: 'Bearer openapi-hook-token' } };
    const accepted = await api.call('POST', '/api/v1/hooks/openapi-hook', { ...hook, body: { subject: 'From outside' } });
    expect(accepted).toMatchObject({ status: 202, body: { status: 'accepted', repeat: false } });
    const invalid = await api.call('POST', '/api/v1/hooks/openapi-hook', { ...hook, body: { subject: 3 } });
    expect(errorOf(invalid.body)).toMatchObject({ code: 'WEBHOOK_INPUTS_INVALID', violations: [{ field: 'subject', code: 'INPUT_TYPE' }] });
    const unknown = await api.call('POST', '/api/v1/hooks/no-such-hook', { ...hook, body: {} });
    expect(unknown.status).toBe(404);
  });

  it('has had every documented operation called', () => {
    expect(api.uncovered()).toEqual([]);
  });
});

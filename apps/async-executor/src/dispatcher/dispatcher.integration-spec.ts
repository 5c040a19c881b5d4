import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { AsyncOperationState, AsyncOperationStatus } from '@flowline/contracts';
import { ProtoFiles, RegistryProto, type PromiseClient } from '@flowline/rpc';
import { startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { REPO_ROOT, testPrefix, waitFor } from '@flowline/testing';

describe('the dispatcher turns pipeline events into async operations', () => {
  let registry: RunningService;
  let gateway: RunningService;
  let executor: RunningService;
  let sql: Client;
  beforeAll(async () => {
    const shared = { KAFKA_TOPIC_PREFIX: `${testPrefix('dispatch')}.` };
    registry = await startServiceForTest('apps/process-registry/src/main.ts', shared);
    const definitions = registry.client<PromiseClient<RegistryProto.ProcessDefinitionServiceClient>>(
      ProtoFiles.registry,
      'flowline.registry.v1.ProcessDefinitionService',
      ['author'],
    );
    const onboarding = await definitions.saveDefinition({
      source: readFileSync(path.join(REPO_ROOT, 'examples/account-onboarding.workflow.yaml'), 'utf8'),
      format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_YAML,
      id: '',
      expectedRowVersion: 0,
    });
    await definitions.activateDefinition({ ref: { id: onboarding.id, uniqueName: '' } });
    const onCredit = await definitions.saveDefinition({
      source: JSON.stringify({
        schemaVersion: 1,
        name: 'Credit watch',
        uniqueName: 'credit-watch',
        category: 'workflow',
        primaryEntity: 'account',
        triggers: [{ on: 'update', attributes: ['creditlimit'] }],
        steps: [{ id: 'done', type: 'stop' }],
      }),
      format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_JSON,
      id: '',
      expectedRowVersion: 0,
    });
    await definitions.activateDefinition({ ref: { id: onCredit.id, uniqueName: '' } });
    gateway = await startServiceForTest('apps/event-gateway/src/main.ts', { ...shared, REGISTRY_ADDRESS: registry.grpcAddress });
    // No workers: this test looks at what the dispatcher creates, before anything runs it.
    executor = await startServiceForTest('apps/async-executor/src/main.ts', {
      ...shared,
      REGISTRY_ADDRESS: registry.grpcAddress,
      WORKER_CONCURRENCY: '0',
    });
    sql = new Client({ connectionString: executor.db.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql.end();
    await executor.stop();
    await gateway.stop();
    await registry.stop();
  });

  const call = async (method: string, url: string, body: unknown) => {
    const response = await fetch(`${gateway.httpUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${testToken(['user'], 'alice')}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as { id: string; eventId: string };
  };
  const operations = async (eventId: string) =>
    (
      await sql.query(
        `SELECT name, state, status, definition_version, regarding_id, depth, input FROM "executor"."async_operation" WHERE event_id = $1 ORDER BY sequence`,
        [eventId],
      )
    ).rows as Array<{
      name: string;
      state: number;
      status: number;
      definition_version: number;
      regarding_id: string;
      depth: number;
      input: { postImage: { name: string } };
    }>;

  it('creates one Ready operation per activated workflow the event triggers, with the version and event snapshotted', async () => {
    const created = await call('POST', '/api/v1/records/account', { name: 'Contoso', creditlimit: 100 });
    const rows = await waitFor(
      async () => {
        const found = await operations(created.eventId);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 15_000, what: 'the onboarding operation' },
    );
    expect(rows).toMatchObject([
      {
        name: 'account-onboarding',
        state: AsyncOperationState.Ready,
        status: AsyncOperationStatus.WaitingForResources,
        definition_version: 1,
        regarding_id: created.id,
        depth: 1,
      },
    ]);
    expect(rows[0]!.input.postImage.name).toBe('Contoso');
  });

  it('starts an update workflow only when one of its filtering attributes changed', async () => {
    const created = await call('POST', '/api/v1/records/account', { name: 'Fabrikam', creditlimit: 100 });
    const renamed = await call('PATCH', `/api/v1/records/account/${created.id}`, { name: 'Fabrikam Ltd' });
    const raised = await call('PATCH', `/api/v1/records/account/${created.id}`, { creditlimit: 900 });
    await waitFor(async () => (await operations(raised.eventId)).length > 0, { timeoutMs: 15_000, what: 'the credit-watch operation' });
    expect((await operations(raised.eventId)).map((row) => row.name)).toEqual(['credit-watch']);
    // One record's events are consumed in order: the rename was dispatched before the raise, and created nothing.
    expect(await operations(renamed.eventId)).toEqual([]);
  });
});

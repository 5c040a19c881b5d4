import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import { ProtoFiles, RegistryProto, type PromiseClient } from '@flowline/rpc';
import { startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { REPO_ROOT, testPrefix, waitFor } from '@flowline/testing';

describe('workers run workflows through the gateway', () => {
  let registry: RunningService;
  let gateway: RunningService;
  let executor: RunningService;
  let sql: Client;
  beforeAll(async () => {
    const shared = { KAFKA_TOPIC_PREFIX: `${testPrefix('worker')}.` };
    registry = await startServiceForTest('apps/process-registry/src/main.ts', shared);
    const definitions = registry.client<PromiseClient<RegistryProto.ProcessDefinitionServiceClient>>(
      ProtoFiles.registry,
      'flowline.registry.v1.ProcessDefinitionService',
      ['author'],
    );
    for (const file of ['account-onboarding.workflow.yaml', 'case-escalation.workflow.yaml']) {
      const saved = await definitions.saveDefinition({
        source: readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8'),
        format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_YAML,
        id: '',
        expectedRowVersion: 0,
      });
      await definitions.activateDefinition({ ref: { id: saved.id, uniqueName: '' } });
    }
    gateway = await startServiceForTest('apps/event-gateway/src/main.ts', { ...shared, REGISTRY_ADDRESS: registry.grpcAddress });
    executor = await startServiceForTest('apps/async-executor/src/main.ts', {
      ...shared,
      REGISTRY_ADDRESS: registry.grpcAddress,
      GATEWAY_ADDRESS: gateway.grpcAddress,
      WORKER_POLL_MS: '100',
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

  const call = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(`${gateway.httpUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${testToken(['user'], 'alice')}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await response.json()) as Record<string, unknown>;
  };
  const operation = (regardingId: string, name: string) =>
    waitFor(
      async () =>
        (await sql.query(`SELECT * FROM "executor"."async_operation" WHERE regarding_id = $1 AND name = $2`, [regardingId, name]))
          .rows[0] as Record<string, unknown> | undefined,
      {
        timeoutMs: 20_000,
        what: `the ${name} operation`,
      },
    );

  it('runs account onboarding to completion: records created and updated through the pipeline, once each', async () => {
    const created = await call('POST', '/api/v1/records/account', { name: 'Contoso', emailaddress1: 'hi@contoso.test', creditlimit: 100 });
    const id = String(created['id']);
    await waitFor(async () => (await operation(id, 'account-onboarding'))['status'] === Status.Succeeded, {
      timeoutMs: 20_000,
      what: 'onboarding to succeed',
    });
    const account = (await call('GET', `/api/v1/records/account/${id}`))['record'] as Record<string, unknown>;
    expect(account['onboardingstatus']).toBe(3);
    const tasks = (await call('GET', `/api/v1/records/task?subject=${encodeURIComponent('Welcome call with Contoso')}`))[
      'records'
    ] as Array<Record<string, unknown>>;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ prioritycode: 1, regardingobjectid: { entity: 'account', id } });
    const emails = (await call('GET', `/api/v1/records/email?subject=${encodeURIComponent('Welcome to Flowline, Contoso')}`))[
      'records'
    ] as unknown[];
    expect(emails).toHaveLength(1);
    const row = await operation(id, 'account-onboarding');
    const log = (
      await sql.query(`SELECT DISTINCT step_id FROM "executor"."operation_step_log" WHERE operation_id = $1`, [row['id']])
    ).rows.map((r: { step_id: string }) => r.step_id);
    expect(log).toEqual(expect.arrayContaining(['follow-up', 'mark-started', 'welcome', 'credit-check', 'done']));
  });

  it('suspends a case escalation while it waits, and a later update wakes it to completion', async () => {
    const created = await call('POST', '/api/v1/records/incident', { title: 'Printer on fire' });
    const id = String(created['id']);
    await waitFor(async () => (await operation(id, 'case-escalation'))['state'] === State.Suspended, {
      timeoutMs: 20_000,
      what: 'the escalation to wait',
    });
    const waiting = await operation(id, 'case-escalation');
    expect(waiting['status']).toBe(Status.Waiting);
    expect(new Date(String(waiting['postpone_until'])).getTime()).toBeGreaterThan(Date.now() + 2 * 24 * 3600 * 1000);
    const subscriptions = (
      await sql.query(`SELECT entity, record_id FROM "executor"."wait_subscription" WHERE operation_id = $1`, [waiting['id']])
    ).rows;
    expect(subscriptions).toEqual([{ entity: 'incident', record_id: id }]);

    await call('POST', '/api/v1/messages/SetState', { entity: 'incident', id, parameters: { state: 1, status: 5 } });
    await waitFor(async () => (await operation(id, 'case-escalation'))['status'] === Status.Succeeded, {
      timeoutMs: 20_000,
      what: 'the escalation to complete',
    });
    expect((await operation(id, 'case-escalation'))['friendly_message']).toBe('resolved in time');
  });
});

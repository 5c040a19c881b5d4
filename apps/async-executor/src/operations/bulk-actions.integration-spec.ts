import { Client } from 'pg';
import { AsyncOperationState as State, AsyncOperationStatus as Status, AsyncOperationType } from '@flowline/contracts';
import { ExecutorProto, ProtoFiles, type PromiseClient } from '@flowline/rpc';
import { OpenApiConformance, testToken, type RunningService } from '@flowline/service-testing';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startChain, type Chain } from '../../test/chain';

/**
 * Bulk actions on system jobs with the whole chain running: a dry run counts what a filter
 * matches; a bulk cancel acts on the filtered set and lists the operations whose state refused
 * it; progress is readable while it runs; and an executor killed with SIGKILL in the middle of
 * one is replaced by another that finishes it, acting on no operation twice. Every REST answer is
 * checked against the executor's own /openapi.json, and every bulk operation it documents is called.
 */
const definitions = [
  `schemaVersion: 1
name: Long wait
uniqueName: long-wait
category: workflow
primaryEntity: lead
triggers:
  - on: create
steps:
  - id: an-hour
    type: waitTimeout
    duration: PT1H
  - id: mark
    type: updateRecord
    set:
      companyname: waited
`,
  `schemaVersion: 1
name: Quick mark
uniqueName: quick-mark
category: workflow
primaryEntity: account
triggers:
  - on: create
steps:
  - id: mark
    type: updateRecord
    set:
      description: marked
`,
];

type Json = Record<string, unknown>;
interface Bulk {
  operation: Json & { id: string; stateName: string; statusName: string; operationType: number };
  action: string;
  progress: { done: number; total: number; applied: number; refused: number };
  refusals: Array<{ operationId: string; message: string }>;
}

describe('bulk actions on system jobs', () => {
  let chain: Chain;
  const extra: RunningService[] = [];
  let executorUrl = '';
  let openApi: OpenApiConformance;

  beforeAll(async () => {
    chain = await startChain(
      'bulk',
      definitions.map((source) => ({ source, format: 'yaml' as const })),
      // Short leases: a killed executor's bulk action is Ready again within seconds.
      { WORKER_POLL_MS: '100', LEASE_MS: '2000' },
    );
    executorUrl = chain.executor.httpUrl;
    openApi = await OpenApiConformance.of(executorUrl);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const service of extra) await service.stop().catch(() => undefined);
    await chain?.stop();
  });

  const api = async (method: string, url: string, body?: unknown, roles: Array<'operator' | 'user'> = ['operator']) => {
    const response = await fetch(`${executorUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${testToken(roles, 'olga')}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = (await response.json()) as Json & { error: { code: string; message: string } };
    openApi.check(method, url, response.status, response.headers.get('content-type'), answer);
    return { status: response.status, body: answer };
  };
  const created = async (entity: string, record: Json) => String((await chain.call('POST', `/api/v1/records/${entity}`, record))['id']);
  /** The operations of these records once each is in the given position, oldest first. */
  const operationsOf = (recordIds: string[], state: State, status: Status) =>
    waitFor(
      async () => {
        const rows = (
          await chain.sql.query(
            `SELECT id, state, status FROM "executor"."async_operation" WHERE regarding_id = ANY($1) ORDER BY sequence`,
            [recordIds],
          )
        ).rows as Array<{ id: string; state: number; status: number }>;
        return rows.length === recordIds.length && rows.every((row) => row.state === state && row.status === status)
          ? rows.map((row) => row.id)
          : undefined;
      },
      { timeoutMs: 30_000, what: `${recordIds.length} operations to be ${state}/${status}` },
    );
  const bulk = async (id: string) => (await api('GET', `/api/v1/operations/bulk/${id}`)).body as unknown as Bulk;
  const finished = (id: string) =>
    waitFor(
      async () => {
        const current = await bulk(id);
        return current.operation.stateName === 'Completed' ? current : undefined;
      },
      { timeoutMs: 60_000, what: `bulk action ${id} to finish` },
    );

  it('counts in a dry run, cancels the filtered set and lists those whose state refused it', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const leads = [];
    for (const name of ['b1', 'b2', 'b3', 'b4'])
      leads.push(await created('lead', { subject: `bulk ${name}`, lastname: name, companyname: 'c' }));
    const accounts = [];
    for (const name of ['a1', 'a2']) accounts.push(await created('account', { name }));
    const waiting = await operationsOf(leads, State.Suspended, Status.Waiting);
    const done = await operationsOf(accounts, State.Completed, Status.Succeeded);
    const filter = { createdAfter: since, state: [State.Suspended, State.Completed] };

    const dry = await api('POST', '/api/v1/operations/bulk', { action: 'cancel', filter, dryRun: true });
    expect(dry.status).toBe(202);
    expect(dry.body).toEqual({ dryRun: true, action: 'cancel', matching: 6, byState: { '1': 4, '3': 2 } });
    // The same filter as the listing: name narrows it too.
    expect(
      (await api('POST', '/api/v1/operations/bulk', { action: 'cancel', filter: { ...filter, name: 'quick-mark' }, dryRun: true })).body,
    ).toMatchObject({
      matching: 2,
    });
    // The same over gRPC, with the ListOperations filter.
    const grpc = chain.executor.client<PromiseClient<ExecutorProto.AsyncOperationServiceClient>>(
      ProtoFiles.executor,
      'flowline.executor.v1.AsyncOperationService',
      ['operator'],
    );
    const listFilter = {
      page: { pageSize: 0, pageToken: '' },
      states: filter.state,
      statuses: [],
      definitionId: '',
      name: '',
      primaryEntity: '',
      regardingId: '',
      correlationId: '',
      createdAfter: since,
      createdBefore: '',
      text: '',
      sort: '',
    };
    expect(await grpc.startBulkAction({ action: 'cancel', filter: listFilter, dryRun: true, until: '' })).toMatchObject({
      dryRun: true,
      matching: 6,
      byState: { 1: 4, 3: 2 },
    });
    await expect(grpc.startBulkAction({ action: 'explode', filter: listFilter, dryRun: true, until: '' })).rejects.toMatchObject({
      grpcCode: 3,
      code: 'BULK_INVALID',
    });
    // A dry run changed nothing.
    await operationsOf(leads, State.Suspended, Status.Waiting);

    // Refusals of the request itself.
    const badAction = await api('POST', '/api/v1/operations/bulk', { action: 'explode', filter });
    expect(badAction.status).toBe(400);
    expect(badAction.body.error.code).toBe('BULK_INVALID');
    const badFilter = await api('POST', '/api/v1/operations/bulk', { action: 'cancel', filter: { state: [9] } });
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error.code).toBe('FILTER_INVALID');
    expect((await api('POST', '/api/v1/operations/bulk', { action: 'postpone', filter })).body.error.code).toBe('POSTPONE_INVALID');
    const misspelt = await api('POST', '/api/v1/operations/bulk', { action: 'delete', filter: { stat: 3 }, dryRun: true });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.error.message).toContain('filter.stat: is not a filter');
    expect((await api('POST', '/api/v1/operations/bulk', { action: 'cancel', filter }, ['user'])).status).toBe(403);

    const started = await api('POST', '/api/v1/operations/bulk', { action: 'cancel', filter });
    expect(started.status).toBe(202);
    const id = (started.body as unknown as Bulk).operation.id;
    expect((started.body as unknown as Bulk).operation.operationType).toBe(AsyncOperationType.BulkDelete);
    const result = await finished(id);
    expect(result.operation.statusName).toBe('Succeeded');
    expect(result.progress).toEqual({ done: 6, total: 6, applied: 4, refused: 2 });
    expect(result.refusals.map((refusal) => refusal.operationId).sort()).toEqual([...done].sort());
    expect(result.refusals[0]!.message).toContain('cannot cancel an operation that is Completed (Succeeded): it is finished');
    await operationsOf(leads, State.Completed, Status.Canceled);
    expect(waiting).toHaveLength(4);

    // Every target's outcome, and the bulk action in the system jobs list.
    const items = (await api('GET', `/api/v1/operations/bulk/${id}/items?outcome=applied`)).body as unknown as {
      items: Array<{ operationId: string; message: string }>;
    };
    expect(items.items.map((item) => item.operationId)).toEqual(waiting);
    expect(items.items[0]!.message).toBe('Suspended (Waiting) -> Completed (Canceled)');
    const jobs = (await api('GET', '/api/v1/operations?name=bulk-cancel')).body as unknown as { operations: Array<{ id: string }> };
    expect(jobs.operations.map((operation) => operation.id)).toContain(id);
    expect((await api('GET', `/api/v1/operations/bulk/${done[0]}`)).status).toBe(404);
    const badOutcome = await api('GET', `/api/v1/operations/bulk/${id}/items?outcome=lost`);
    expect(badOutcome.body.error).toMatchObject({ code: 'FILTER_INVALID', violations: [{ field: 'outcome' }] });
    const badPageSize = await api('GET', `/api/v1/operations/bulk/${id}/items?pageSize=ten`);
    expect(badPageSize.status).toBe(400);
    expect(badPageSize.body.error).toMatchObject({ code: 'PAGE_SIZE_INVALID', violations: [{ field: 'page.pageSize' }] });
    expect((await api('GET', `/api/v1/operations/bulk/not-an-id/items`)).body.error.code).toBe('OPERATION_ID_INVALID');
    expect(await grpc.getBulkAction({ id })).toMatchObject({ action: 'cancel', done: 6, total: 6, applied: 4, refused: 2 });

    // Bulk delete: the Completed ones go (with their step logs), the bulk cancel's job among them;
    // a Ready or Suspended one would be refused. A new lead's waiting operation shows the refusal.
    const late = await created('lead', { subject: 'bulk late', lastname: 'late', companyname: 'c' });
    const [lateOperation] = await operationsOf([late], State.Suspended, Status.Waiting);
    const deleting = await api('POST', '/api/v1/operations/bulk', { action: 'delete', filter: { createdAfter: since } });
    const deletion = await finished((deleting.body as unknown as Bulk).operation.id);
    expect(deletion.progress).toEqual({ done: 8, total: 8, applied: 7, refused: 1 });
    expect(deletion.refusals).toEqual([
      expect.objectContaining({
        operationId: lateOperation,
        message: 'cannot delete an operation that is Suspended (Waiting): only Completed operations are deleted',
      }),
    ]);
    const left = (
      await chain.sql.query(`SELECT id FROM "executor"."async_operation" WHERE id = ANY($1)`, [[...waiting, ...done, id, lateOperation]])
    ).rows as Array<{ id: string }>;
    expect(left.map((row) => row.id)).toEqual([lateOperation]);
    expect(
      Number(
        (await chain.sql.query(`SELECT count(*) FROM "executor"."operation_step_log" WHERE operation_id = ANY($1)`, [done])).rows[0].count,
      ),
    ).toBe(0);
    expect((await api('GET', `/api/v1/operations/bulk/${id}`)).status).toBe(404);
    // Every bulk operation of the OpenAPI document was called above (the rest is covered by the operations and dead-letter specs).
    expect(openApi.uncovered().filter((operation) => operation.includes(' /api/v1/operations/bulk'))).toEqual([]);
  }, 180_000);

  it('shows progress while it runs and, after a SIGKILL of its executor, is finished by another exactly once', async () => {
    // Not the operations of the test before (the clock is the database's too: one machine).
    const since = new Date().toISOString();
    const leads = [];
    for (const name of ['k1', 'k2', 'k3', 'k4', 'k5'])
      leads.push(await created('lead', { subject: `bulk ${name}`, lastname: name, companyname: 'c' }));
    const targets = await operationsOf(leads, State.Suspended, Status.Waiting);

    // The third target is held (a row lock of this test), so the bulk action stops at it.
    const holder = new Client({ connectionString: chain.executor.db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "executor"."async_operation" WHERE id = $1 FOR UPDATE`, [targets[2]]);

      const started = await api('POST', '/api/v1/operations/bulk', {
        action: 'cancel',
        filter: { createdAfter: since, state: [State.Suspended] },
      });
      expect(started).toMatchObject({ status: 202, body: { progress: { done: 0, total: 5 } } });
      const id = (started.body as unknown as Bulk).operation.id;
      const midway = await waitFor(
        async () => {
          const current = await bulk(id);
          return current.progress.done === 2 ? current : undefined;
        },
        { timeoutMs: 30_000, what: 'the bulk action to reach the held target' },
      );
      expect(midway.operation).toMatchObject({ stateName: 'Locked', statusName: 'InProgress' });
      expect(midway.progress).toEqual({ done: 2, total: 5, applied: 2, refused: 0 });

      await chain.executor.process.stop('SIGKILL');
      await holder.query('ROLLBACK');

      const replacement = await chain.startExecutor();
      extra.push(replacement);
      executorUrl = replacement.httpUrl;
      const result = await finished(id);
      expect(result.operation.statusName).toBe('Succeeded');
      // Nothing applied twice: a second cancel of a canceled operation would be a refusal.
      expect(result.progress).toEqual({ done: 5, total: 5, applied: 5, refused: 0 });
      await operationsOf(leads, State.Completed, Status.Canceled);
      const outcomes = (
        await chain.sql.query(`SELECT operation_id, outcome FROM "executor"."bulk_action_item" WHERE bulk_id = $1 ORDER BY position`, [id])
      ).rows as Array<{ operation_id: string; outcome: string }>;
      expect(outcomes).toEqual(targets.map((target) => ({ operation_id: target, outcome: 'applied' })));
    } finally {
      await holder.end();
    }
  }, 240_000);
});

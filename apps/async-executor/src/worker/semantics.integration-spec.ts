import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import { ExecutorProto, ProtoFiles, RpcCallError, type PromiseClient } from '@flowline/rpc';
import { testToken } from '@flowline/service-testing';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { ActivityServer } from '../../test/activity-server';
import { startChain, type Chain } from '../../test/chain';

/**
 * What the process language promises, through registry, gateway and executor as real processes:
 * a parent that waits for its child suspends until the child ends and gets its outcome; an
 * operator's cancel or pause wins over a run that reaches its end meanwhile; a wait already
 * satisfied when it begins does not wait; a workflow triggering itself is canceled as a loop; a
 * retry after the record was fixed reads the record as it is now; on-demand workflows start from
 * the API as the calling user.
 */
const definitions = (url: string) => [
  `schemaVersion: 1
name: Child work
uniqueName: child-work
category: workflow
primaryEntity: contact
availableAsChild: true
steps:
  - id: call
    type: customActivity
    handler: http
    inputs:
      url: '${url}/child/{{record.lastname}}'
  - id: mark
    type: updateRecord
    set:
      telephone1: child done
`,
  `schemaVersion: 1
name: Parent waits
uniqueName: parent-waits
category: workflow
primaryEntity: contact
triggers:
  - on: update
    attributes: [jobtitle]
steps:
  - id: run-child
    type: startChild
    workflow: child-work
    wait: true
  - id: after
    type: updateRecord
    set:
      description: parent done
`,
  `schemaVersion: 1
name: Cancel last
uniqueName: cancel-last
category: workflow
primaryEntity: contact
triggers:
  - on: update
    attributes: [mobilephone]
steps:
  - id: call
    type: customActivity
    handler: http
    inputs:
      url: '${url}/last/{{record.lastname}}'
  - id: end
    type: stop
    message: finished
`,
  `schemaVersion: 1
name: Related wait
uniqueName: related-wait
category: workflow
primaryEntity: contact
triggers:
  - on: update
    attributes: [emailaddress1]
steps:
  - id: company-ready
    type: waitCondition
    record: { lookup: parentcustomerid }
    until: "record.name == 'Ready Co'"
  - id: note
    type: updateRecord
    set:
      description: company was ready
`,
  `schemaVersion: 1
name: Loop self
uniqueName: loop-self
category: workflow
primaryEntity: lead
triggers:
  - on: update
    attributes: [companyname]
steps:
  - id: again
    type: updateRecord
    set:
      companyname: '{{record.companyname}}x'
`,
  `schemaVersion: 1
name: Fix and retry
uniqueName: fix-and-retry
category: workflow
primaryEntity: contact
triggers:
  - on: update
    attributes: [birthdate]
steps:
  - id: call
    type: customActivity
    handler: http
    inputs:
      url: '{{record.description}}/retry/{{record.lastname}}'
`,
  `schemaVersion: 1
name: On demand note
uniqueName: on-demand-note
category: workflow
primaryEntity: contact
availableOnDemand: true
steps:
  - id: note
    type: updateRecord
    set:
      description: noted on demand
`,
];

describe('process semantics through the running services', () => {
  const server = new ActivityServer();
  let chain: Chain;
  let grpc: PromiseClient<ExecutorProto.AsyncOperationServiceClient>;

  beforeAll(async () => {
    await server.start();
    chain = await startChain(
      'semantics',
      definitions(server.url).map((source) => ({ source, format: 'yaml' as const })),
      { WORKER_POLL_MS: '100', LOOP_MAX_RUNS: '3', LOOP_WINDOW_MS: '600000' },
    );
    grpc = chain.executor.client<PromiseClient<ExecutorProto.AsyncOperationServiceClient>>(
      ProtoFiles.executor,
      'flowline.executor.v1.AsyncOperationService',
      ['user'],
    );
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
    await server.stop();
  });

  const rows = async (regardingId: string, name: string) =>
    (
      await chain.sql.query(`SELECT * FROM "executor"."async_operation" WHERE regarding_id = $1 AND name = $2 ORDER BY sequence`, [
        regardingId,
        name,
      ])
    ).rows as Array<Record<string, unknown>>;
  const until = (regardingId: string, name: string, check: (row: Record<string, unknown>) => boolean, what: string) =>
    waitFor(
      async () => {
        const [row] = await rows(regardingId, name);
        return row && check(row) ? row : undefined;
      },
      { timeoutMs: 60_000, what },
    );
  const executor = async (
    method: string,
    path: string,
    body?: unknown,
    roles: Array<'operator' | 'user'> = ['operator'],
    subject?: string,
  ) => {
    const response = await fetch(`${chain.executor.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${testToken(roles, subject)}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const contact = async (fields: Record<string, unknown>) => String((await chain.call('POST', '/api/v1/records/contact', fields))['id']);
  const record = async (entity: string, id: string) =>
    (await chain.call('GET', `/api/v1/records/${entity}/${id}`))['record'] as Record<string, unknown>;

  it('suspends a parent that waits for its child and resumes it with the child outcome; a failed child fails the step', async () => {
    server.answer('Kid', 'hold');
    const id = await contact({ lastname: 'Kid' });
    await chain.call('PATCH', `/api/v1/records/contact/${id}`, { jobtitle: 'go' });
    await waitFor(() => server.requestsFor('Kid').length === 1, { timeoutMs: 60_000, what: 'the child to run' });
    const parent = await until(id, 'parent-waits', (row) => row['state'] === State.Suspended, 'the parent to suspend');
    expect(parent['status']).toBe(Status.Waiting);
    const [child] = await rows(id, 'child-work');
    expect(child!['parent_operation_id']).toBe(parent['id']);
    expect(child!['state']).toBe(State.Locked);
    expect((await record('contact', id))['description']).toBeUndefined();

    server.release('Kid');
    const done = await until(id, 'parent-waits', (row) => row['state'] === State.Completed, 'the parent to complete');
    expect(done['status']).toBe(Status.Succeeded);
    const [finishedChild] = await rows(id, 'child-work');
    expect(finishedChild!['status']).toBe(Status.Succeeded);
    expect(new Date(String(done['completed_on'])).getTime()).toBeGreaterThanOrEqual(
      new Date(String(finishedChild!['completed_on'])).getTime(),
    );
    expect(await record('contact', id)).toMatchObject({ telephone1: 'child done', description: 'parent done' });
    const outputs = (done['instance_state'] as { outputs: Record<string, Record<string, unknown>> }).outputs;
    expect(outputs['run-child']).toMatchObject({ outcome: 'succeeded', operationId: finishedChild!['id'] });

    server.answer('Kid fails', 400);
    const failing = await contact({ lastname: 'Kid fails' });
    await chain.call('PATCH', `/api/v1/records/contact/${failing}`, { jobtitle: 'go' });
    const failed = await until(failing, 'parent-waits', (row) => row['state'] === State.Completed, 'the parent of a failing child to end');
    expect(failed['status']).toBe(Status.Failed);
    expect(String(failed['friendly_message'])).toMatch(/CHILD_FAILED/);
    expect((await rows(failing, 'child-work'))[0]!['status']).toBe(Status.Failed);
    expect((await record('contact', failing))['description']).toBeUndefined();
  }, 180_000);

  it('lets a cancel or a pause accepted while the last effect is in flight win over the stop that follows', async () => {
    server.answer('Canceled late', 'hold');
    server.answer('Paused late', 'hold');
    const canceled = await contact({ lastname: 'Canceled late' });
    const paused = await contact({ lastname: 'Paused late' });
    await chain.call('PATCH', `/api/v1/records/contact/${canceled}`, { mobilephone: '1' });
    await chain.call('PATCH', `/api/v1/records/contact/${paused}`, { mobilephone: '1' });
    await waitFor(() => server.requestsFor('Canceled late').length === 1 && server.requestsFor('Paused late').length === 1, {
      timeoutMs: 60_000,
      what: 'both runs to be in their last call',
    });
    const [toCancel] = await rows(canceled, 'cancel-last');
    const [toPause] = await rows(paused, 'cancel-last');
    const cancel = await executor('POST', `/api/v1/operations/${String(toCancel!['id'])}/cancel`);
    expect(cancel.body).toMatchObject({ state: State.Locked, status: Status.Canceling });
    const pause = await executor('POST', `/api/v1/operations/${String(toPause!['id'])}/pause`);
    expect(pause.body).toMatchObject({ state: State.Locked, status: Status.Pausing });
    server.release('Canceled late');
    server.release('Paused late');

    const ended = await until(canceled, 'cancel-last', (row) => row['state'] === State.Completed, 'the canceled run to end');
    expect(ended['status']).toBe(Status.Canceled);
    expect(ended['error_code']).toBe('CANCELED');
    await until(paused, 'cancel-last', (row) => row['state'] === State.Suspended, 'the paused run to park');
    await executor('POST', `/api/v1/operations/${String(toPause!['id'])}/resume`);
    const resumed = await until(paused, 'cancel-last', (row) => row['state'] === State.Completed, 'the resumed run to end');
    expect(resumed['status']).toBe(Status.Succeeded);
    // The call was not made again on resume: the run had passed it.
    expect(server.requestsFor('Paused late')).toHaveLength(1);
  }, 180_000);

  it('does not wait on a related record that already meets the condition when the wait begins', async () => {
    const company = String((await chain.call('POST', '/api/v1/records/account', { name: 'Ready Co' }))['id']);
    const id = await contact({ lastname: 'Related', parentcustomerid: { entity: 'account', id: company } });
    await chain.call('PATCH', `/api/v1/records/contact/${id}`, { emailaddress1: 'r@example.test' });
    const done = await until(id, 'related-wait', (row) => row['state'] === State.Completed, 'the related wait to pass at once');
    expect(done['status']).toBe(Status.Succeeded);
    expect((await record('contact', id))['description']).toBe('company was ready');
  }, 120_000);

  it('cancels a workflow that keeps triggering itself on one record, with a loop message', async () => {
    const lead = String((await chain.call('POST', '/api/v1/records/lead', { subject: 'Loop', companyname: 'c' }))['id']);
    await chain.call('PATCH', `/api/v1/records/lead/${lead}`, { companyname: 'c' + '0' });
    const canceled = await waitFor(async () => (await rows(lead, 'loop-self')).find((row) => row['status'] === Status.Canceled), {
      timeoutMs: 90_000,
      what: 'the looping run to be canceled',
    });
    expect(canceled['error_code']).toBe('LOOP_DETECTED');
    expect(String(canceled['friendly_message'])).toMatch(/infinite loop: workflow 'loop-self' started 4 times on lead .* within 600 s/);
    const all = await rows(lead, 'loop-self');
    expect(all).toHaveLength(4);
    expect(all.slice(0, 3).every((row) => row['status'] === Status.Succeeded)).toBe(true);
    expect((await record('lead', lead))['companyname']).toBe('c0xxx');
    // A loop is not a failure of the definition.
    const throttled = await chain.sql.query(
      `SELECT * FROM "executor"."definition_throttle" WHERE definition_id = $1 AND consecutive_failures > 0`,
      [canceled['definition_id']],
    );
    expect(throttled.rows).toEqual([]);
  }, 150_000);

  it('reads the record as it is now when an operator retries a failed run after fixing the record', async () => {
    const id = await contact({ lastname: 'Fixable', description: 'not a url' });
    await chain.call('PATCH', `/api/v1/records/contact/${id}`, { birthdate: '2000-01-01' });
    const failed = await until(id, 'fix-and-retry', (row) => row['state'] === State.Completed, 'the first run to fail');
    expect(failed['status']).toBe(Status.Failed);
    await chain.call('PATCH', `/api/v1/records/contact/${id}`, { description: server.url });
    const retried = await executor('POST', `/api/v1/operations/${String(failed['id'])}/retry`);
    expect(retried.status).toBe(200);
    const done = await until(id, 'fix-and-retry', (row) => row['status'] === Status.Succeeded, 'the retried run to succeed');
    expect(done['id']).toBe(failed['id']);
    expect(server.requestsFor('Fixable')).toHaveLength(1);
  }, 120_000);

  it('starts an on-demand workflow over REST and gRPC as the calling user, once per idempotency key, and refuses what it cannot run', async () => {
    const id = await contact({ lastname: 'On demand' });
    const start = (definition: string, body: Record<string, unknown>) =>
      executor('POST', `/api/v1/workflows/${definition}/start`, body, ['user'], 'alice');
    const first = await start('on-demand-note', { entity: 'contact', recordId: id, idempotencyKey: 'k-1' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ name: 'on-demand-note', owner: 'alice', regardingId: id, primaryEntity: 'contact' });
    const again = await start('on-demand-note', { entity: 'contact', recordId: id, idempotencyKey: 'k-1' });
    expect(again.body['id']).toBe(first.body['id']);
    await until(id, 'on-demand-note', (row) => row['status'] === Status.Succeeded, 'the on-demand run to succeed');
    expect((await record('contact', id))['description']).toBe('noted on demand');
    expect(await rows(id, 'on-demand-note')).toHaveLength(1);

    const notOnDemand = await start('parent-waits', { entity: 'contact', recordId: id });
    expect(notOnDemand.status).toBe(409);
    expect(JSON.stringify(notOnDemand.body)).toMatch(/NOT_AVAILABLE_ON_DEMAND/);
    const otherEntity = await start('on-demand-note', { entity: 'account', recordId: id });
    expect(otherEntity.status).toBe(409);
    expect(JSON.stringify(otherEntity.body)).toMatch(/ENTITY_MISMATCH/);
    const unknownRecord = await start('on-demand-note', { entity: 'contact', recordId: '00000000-0000-4000-8000-000000000000' });
    expect(unknownRecord.status).toBe(404);
    expect(JSON.stringify(unknownRecord.body)).toMatch(/RECORD_NOT_FOUND/);
    const missing = await start('on-demand-note', { entity: 'contact' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toMatch(/recordId/);

    // gRPC: the same use case; its definition may be named by id too.
    const other = await contact({ lastname: 'On demand grpc' });
    const overGrpc = await grpc.startWorkflow({
      definition: 'on-demand-note',
      entity: 'contact',
      recordId: other,
      inputsJson: '{}',
      idempotencyKey: 'g-1',
    });
    const repeat = await grpc.startWorkflow({
      definition: overGrpc.definitionId,
      entity: 'contact',
      recordId: other,
      inputsJson: '',
      idempotencyKey: 'g-1',
    });
    expect(repeat.id).toBe(overGrpc.id);
    await until(other, 'on-demand-note', (row) => row['status'] === Status.Succeeded, 'the gRPC start to succeed');
    const refused = await grpc
      .startWorkflow({ definition: 'parent-waits', entity: 'contact', recordId: other, inputsJson: '', idempotencyKey: '' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(RpcCallError);
    expect(refused).toMatchObject({ grpcCode: 9, code: 'NOT_AVAILABLE_ON_DEMAND' });
  }, 150_000);
});

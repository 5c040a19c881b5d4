import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import { ExecutorProto, ProtoFiles, type PromiseClient } from '@flowline/rpc';
import { testToken } from '@flowline/service-testing';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { ActivityServer } from '../../test/activity-server';
import { startChain, type Chain } from '../../test/chain';

/**
 * An operator's cancel of a parent takes the children it waits for with it, with the whole chain
 * running: a Suspended child ends Canceled at once and nothing wakes or reruns the parent; a
 * Locked child goes Canceling and ends Canceled at its next step boundary; a child started
 * without `wait` is left alone.
 */
const definitions = (url: string) => [
  `schemaVersion: 1
name: Timer child
uniqueName: timer-child
category: workflow
primaryEntity: contact
availableAsChild: true
steps:
  - id: an-hour
    type: waitTimeout
    duration: PT1H
  - id: mark
    type: updateRecord
    set:
      telephone1: child done
`,
  `schemaVersion: 1
name: Held child
uniqueName: held-child
category: workflow
primaryEntity: contact
availableAsChild: true
steps:
  - id: call
    type: customActivity
    handler: http
    inputs:
      url: '${url}/held/{{record.lastname}}'
  - id: mark
    type: updateRecord
    set:
      telephone1: child done
`,
  `schemaVersion: 1
name: Waits for timer child
uniqueName: waits-for-timer-child
category: workflow
primaryEntity: contact
triggers:
  - on: update
    attributes: [jobtitle]
steps:
  - id: run-child
    type: startChild
    workflow: timer-child
    wait: true
  - id: after
    type: updateRecord
    set:
      description: parent done
`,
  `schemaVersion: 1
name: Waits for held child
uniqueName: waits-for-held-child
category: workflow
primaryEntity: contact
triggers:
  - on: update
    attributes: [mobilephone]
steps:
  - id: run-child
    type: startChild
    workflow: held-child
    wait: true
  - id: after
    type: updateRecord
    set:
      description: parent done
`,
  `schemaVersion: 1
name: Starts and forgets
uniqueName: starts-and-forgets
category: workflow
primaryEntity: contact
triggers:
  - on: update
    attributes: [emailaddress1]
steps:
  - id: run-child
    type: startChild
    workflow: timer-child
  - id: an-hour
    type: waitTimeout
    duration: PT1H
`,
];

describe('canceling a parent cancels the children it waits for', () => {
  const server = new ActivityServer();
  let chain: Chain;
  let grpc: PromiseClient<ExecutorProto.AsyncOperationServiceClient>;

  beforeAll(async () => {
    await server.start();
    chain = await startChain(
      'cancel-children',
      definitions(server.url).map((source) => ({ source, format: 'yaml' as const })),
      { WORKER_POLL_MS: '100' },
    );
    grpc = chain.executor.client(ProtoFiles.executor, 'flowline.executor.v1.AsyncOperationService', ['operator']);
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
  const cancel = async (id: unknown) => {
    const response = await fetch(`${chain.executor.httpUrl}/api/v1/operations/${String(id)}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken(['operator'], 'olga')}`, 'content-type': 'application/json' },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const contact = async (fields: Record<string, unknown>) => String((await chain.call('POST', '/api/v1/records/contact', fields))['id']);
  const record = async (id: string) => (await chain.call('GET', `/api/v1/records/contact/${id}`))['record'] as Record<string, unknown>;
  /** The positions an operation's change events (flowline.async-operations.v1, through the outbox) announced, oldest first. */
  const announced = async (operationId: unknown) =>
    (
      (
        await chain.sql.query(
          `SELECT envelope->'payload'->'state' AS state, envelope->'payload'->'status' AS status FROM "executor"."outbox" WHERE message_key = $1 ORDER BY id`,
          [String(operationId)],
        )
      ).rows as Array<{ state: number; status: number }>
    ).map(({ state, status }) => `${state}/${status}`);

  it('ends a Suspended child Canceled with its Suspended parent, in one move, and nothing wakes or reruns the parent', async () => {
    const id = await contact({ lastname: 'Timer kid' });
    await chain.call('PATCH', `/api/v1/records/contact/${id}`, { jobtitle: 'go' });
    const parent = await until(id, 'waits-for-timer-child', (row) => row['state'] === State.Suspended, 'the parent to wait');
    const child = await until(id, 'timer-child', (row) => row['state'] === State.Suspended, 'the child to wait on its timer');
    expect(child['parent_operation_id']).toBe(parent['id']);

    const answer = await cancel(parent['id']);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ state: State.Completed, status: Status.Canceled, childrenCanceled: 1 });

    // Both ended in the cancel's transaction: no waiting for a worker.
    const [canceledChild] = await rows(id, 'timer-child');
    expect(canceledChild).toMatchObject({ state: State.Completed, status: Status.Canceled, error_code: 'CANCELED' });
    expect(String(canceledChild!['friendly_message'])).toContain(String(parent['id']));
    // Each move announced, like every other (written in the cancel's transaction).
    expect(await announced(child['id'])).toContain(`${State.Completed}/${Status.Canceled}`);
    const parentAnnounced = await announced(parent['id']);
    expect(parentAnnounced.at(-1)).toBe(`${State.Completed}/${Status.Canceled}`);
    // The child's end woke nobody: the parent never went Ready again, has no subscription left, and its next step never ran.
    expect(parentAnnounced.slice(parentAnnounced.lastIndexOf(`${State.Suspended}/${Status.Waiting}`))).toEqual([
      `${State.Suspended}/${Status.Waiting}`,
      `${State.Completed}/${Status.Canceled}`,
    ]);
    const subscriptions = await chain.sql.query(`SELECT 1 FROM "executor"."wait_subscription" WHERE operation_id = ANY($1::uuid[])`, [
      [parent['id'], child['id']],
    ]);
    expect(subscriptions.rows).toHaveLength(0);
    expect((await record(id))['description']).toBeUndefined();
    expect(await rows(id, 'waits-for-timer-child')).toEqual([expect.objectContaining({ state: State.Completed, status: Status.Canceled })]);
  });

  it('takes a Locked child through Canceling: its run stops Canceled at its next step boundary', async () => {
    server.answer('Held kid', 'hold');
    const id = await contact({ lastname: 'Held kid' });
    await chain.call('PATCH', `/api/v1/records/contact/${id}`, { mobilephone: '1' });
    await waitFor(() => server.requestsFor('Held kid').length === 1, { timeoutMs: 60_000, what: 'the child to call out' });
    const parent = await until(id, 'waits-for-held-child', (row) => row['state'] === State.Suspended, 'the parent to wait');
    const [child] = await rows(id, 'held-child');
    expect(child).toMatchObject({ state: State.Locked, status: Status.InProgress, parent_operation_id: parent['id'] });

    const answer = await cancel(parent['id']);
    expect(answer.body).toMatchObject({ state: State.Completed, status: Status.Canceled, childrenCanceled: 1 });
    expect((await rows(id, 'held-child'))[0]).toMatchObject({ state: State.Locked, status: Status.Canceling });

    server.release('Held kid');
    const ended = await until(id, 'held-child', (row) => row['state'] === State.Completed, 'the child to stop at its boundary');
    expect(ended).toMatchObject({ status: Status.Canceled, error_code: 'CANCELED' });
    expect(await announced(child['id'])).toEqual(
      expect.arrayContaining([`${State.Locked}/${Status.Canceling}`, `${State.Completed}/${Status.Canceled}`]),
    );
    // Its next step never ran, and its end reran nothing of the parent.
    const after = await record(id);
    expect(after['telephone1']).toBeUndefined();
    expect(after['description']).toBeUndefined();
    expect(await rows(id, 'waits-for-held-child')).toEqual([expect.objectContaining({ state: State.Completed, status: Status.Canceled })]);
  });

  it('cancels the waited-for child the same way when the parent is canceled over gRPC', async () => {
    const id = await contact({ lastname: 'Grpc kid' });
    await chain.call('PATCH', `/api/v1/records/contact/${id}`, { jobtitle: 'go' });
    const parent = await until(id, 'waits-for-timer-child', (row) => row['state'] === State.Suspended, 'the parent to wait');
    await until(id, 'timer-child', (row) => row['state'] === State.Suspended, 'the child to wait on its timer');

    const answer = await grpc.cancelOperation({ id: String(parent['id']) });
    expect(answer).toMatchObject({ state: State.Completed, status: Status.Canceled });
    expect((await rows(id, 'timer-child'))[0]).toMatchObject({ state: State.Completed, status: Status.Canceled, error_code: 'CANCELED' });
  });

  it('leaves a child started without wait alone', async () => {
    const id = await contact({ lastname: 'Free kid' });
    await chain.call('PATCH', `/api/v1/records/contact/${id}`, { emailaddress1: 'free@example.com' });
    const parent = await until(id, 'starts-and-forgets', (row) => row['state'] === State.Suspended, 'the parent to wait on its timer');
    const child = await until(id, 'timer-child', (row) => row['state'] === State.Suspended, 'the child to wait on its timer');
    expect(child['parent_operation_id']).toBeNull();

    const answer = await cancel(parent['id']);
    expect(answer.body).toMatchObject({ state: State.Completed, status: Status.Canceled, childrenCanceled: 0 });
    expect((await rows(id, 'timer-child'))[0]).toMatchObject({
      state: State.Suspended,
      status: Status.Waiting,
      row_version: child['row_version'],
    });
  });
});

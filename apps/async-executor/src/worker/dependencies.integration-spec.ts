import { AsyncOperationStatus as Status } from '@flowline/contracts';
import { ExecutorProto, ProtoFiles, type PromiseClient } from '@flowline/rpc';
import { testToken } from '@flowline/service-testing';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { ActivityServer } from '../../test/activity-server';
import { startChain, type Chain } from '../../test/chain';

/**
 * The gateway goes away for longer than the old retry window (five attempts from a 1 s base,
 * about 14 s) while one run waits on a timer and another has a record step to do. The timer's
 * wake-up cannot read the record: the run is put back instead of going on with its old copy
 * (which would write stale values over a change committed meanwhile). The record step waits
 * the outage out. Both succeed once the gateway is back, without using up their retries, and the
 * definition is not throttled. While they wait, the operation shows its next attempt and last error.
 */
const definitions = (url: string) => [
  `schemaVersion: 1
name: Outage child
uniqueName: outage-child
category: workflow
primaryEntity: lead
availableAsChild: true
steps:
  - id: mark
    type: updateRecord
    set:
      firstname: child ran
`,
  `schemaVersion: 1
name: Registry outage
uniqueName: registry-outage
category: workflow
primaryEntity: lead
triggers:
  - on: create
steps:
  - id: call
    type: customActivity
    handler: http
    inputs:
      url: '${url}/registry/{{record.subject}}'
  - id: child
    type: startChild
    workflow: outage-child
    wait: true
  - id: mark
    type: updateRecord
    set:
      companyname: after registry
`,
  `schemaVersion: 1
name: Stale wake
uniqueName: stale-wake
category: workflow
primaryEntity: contact
triggers:
  - on: create
steps:
  - id: first
    type: updateRecord
    set:
      description: '{{record.description}}B'
  - id: later
    type: waitTimeout
    duration: PT15S
  - id: second
    type: updateRecord
    set:
      description: '{{record.description}}D'
`,
  `schemaVersion: 1
name: Held steps
uniqueName: held-steps
category: workflow
primaryEntity: contact
triggers:
  - on: create
steps:
  - id: call
    type: customActivity
    handler: http
    inputs:
      url: '${url}/held/{{record.lastname}}'
  - id: mark
    type: updateRecord
    set:
      jobtitle: done
`,
];

describe('an unavailable gateway or registry is waited out, never skipped and never counted as a failure', () => {
  const server = new ActivityServer();
  let chain: Chain;

  beforeAll(async () => {
    await server.start();
    chain = await startChain(
      'dependencies',
      definitions(server.url).map((source) => ({ source, format: 'yaml' as const })),
      // The defaults that used to give up after about 14 s: five attempts from a 1 s base.
      { WORKER_POLL_MS: '100', MAX_RETRIES: '5', RETRY_BASE_MS: '1000', EXECUTOR_DEPENDENCY_RETRY_MAX_MS: '4000' },
    );
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
    await server.stop();
  });

  const operation = async (regardingId: string, name: string) =>
    (await chain.sql.query(`SELECT * FROM "executor"."async_operation" WHERE regarding_id = $1 AND name = $2`, [regardingId, name]))
      .rows[0] as Record<string, unknown> | undefined;
  const operationOverRest = async (id: string) => {
    const response = await fetch(`${chain.executor.httpUrl}/api/v1/operations/${id}`, {
      headers: { authorization: `Bearer ${testToken(['operator'])}` },
    });
    return ((await response.json()) as { operation: Record<string, unknown> }).operation;
  };

  it('puts back a wake-up whose read fails, waits out a record step, and completes both once the gateway is back', async () => {
    server.answer('Outage', 'hold');
    const id = String((await chain.call('POST', '/api/v1/records/contact', { lastname: 'Outage', description: 'A' }))['id']);
    // The timer run has written its first step and waits; the other run is inside its call.
    await waitFor(async () => (await operation(id, 'stale-wake'))?.['status'] === Status.Waiting, {
      timeoutMs: 30_000,
      what: 'stale-wake to wait on its timer',
    });
    await waitFor(() => server.requestsFor('Outage').length === 1, { timeoutMs: 30_000, what: 'held-steps to call out' });
    // Someone changes the record while the run waits: that change is committed and must survive.
    await chain.call('PATCH', `/api/v1/records/contact/${id}`, { description: 'ABC' });

    await chain.stopService('event-gateway', 'SIGKILL');
    server.release('Outage');

    // Both runs meet the outage and wait it out for longer than the old retry window.
    const waiting = await waitFor(
      async () => {
        const rows = (
          await chain.sql.query(
            `SELECT id, name, state, unavailable_attempts, last_error, next_attempt_at FROM "executor"."async_operation"
              WHERE regarding_id = $1 AND unavailable_since < now() - interval '16 seconds'`,
            [id],
          )
        ).rows as Array<Record<string, unknown>>;
        return rows.length === 2 ? rows : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'both runs to wait out the gateway for more than 16 s' },
    );
    for (const row of waiting) {
      expect(row['state']).not.toBe(3);
      expect(Number(row['unavailable_attempts'])).toBeGreaterThanOrEqual(2);
      // GET shows when it is tried next and what failed.
      const shown = await operationOverRest(String(row['id']));
      expect(String(shown['lastError'])).toMatch(/gateway|UNAVAILABLE|UNREACHABLE/i);
      expect(String(shown['unavailableSince'])).not.toBe('');
      expect(Number(shown['unavailableAttempts'])).toBeGreaterThanOrEqual(2);
    }
    await waitFor(async () => (await operationOverRest(String(waiting[0]!['id'])))['nextAttemptAt'] !== '', {
      timeoutMs: 30_000,
      what: 'a next attempt to be shown',
    });
    // gRPC GetOperation shows the same.
    const grpc = chain.executor.client<PromiseClient<ExecutorProto.AsyncOperationServiceClient>>(
      ProtoFiles.executor,
      'flowline.executor.v1.AsyncOperationService',
      ['operator'],
    );
    const overGrpc = (await grpc.getOperation({ id: String(waiting[0]!['id']) })).operation!;
    expect(overGrpc.lastError).toMatch(/gateway|UNAVAILABLE|UNREACHABLE/i);
    expect(overGrpc.unavailableAttempts).toBeGreaterThanOrEqual(2);
    expect(overGrpc.unavailableSince).not.toBe('');
    // ... and count it on /metrics.
    const metrics = await (await fetch(`${chain.executor.httpUrl}/metrics`)).text();
    const waits = /flowline_executor_dependency_waits_total\{[^}]*dependency="gateway"[^}]*\} (\d+)/.exec(metrics);
    expect(Number(waits?.[1] ?? 0)).toBeGreaterThanOrEqual(2);
    // An operator can read what happens from the log.
    expect(chain.executor.process.output.join('\n')).toMatch(
      /waiting it out \(attempt \d+, unavailable for \d+ s of a patience of \d+ s\), next attempt in/,
    );

    await chain.restartService('event-gateway');
    for (const name of ['stale-wake', 'held-steps']) {
      await waitFor(async () => (await operation(id, name))?.['status'] === Status.Succeeded, {
        timeoutMs: 90_000,
        what: `${name} to succeed after the outage`,
      });
      const done = (await operation(id, name))!;
      expect(done['retry_count']).toBe(0);
      expect(done['unavailable_since']).toBeNull();
    }
    const contact = (await chain.call('GET', `/api/v1/records/contact/${id}`))['record'] as Record<string, unknown>;
    // The wake-up read the record as it was after the outage: the change made while it waited survived.
    expect(contact['description']).toBe('ABCD');
    expect(contact['jobtitle']).toBe('done');
    // Unavailability is not a failure of the definitions: nothing is throttled.
    const throttled = await chain.sql.query(`SELECT * FROM "executor"."definition_throttle" WHERE consecutive_failures > 0`);
    expect(throttled.rows).toEqual([]);
  }, 300_000);

  it('waits out an unavailable registry (a child to look up) and goes on once it is back', async () => {
    server.answer('Registry down', 'hold');
    const id = String((await chain.call('POST', '/api/v1/records/lead', { subject: 'Registry down' }))['id']);
    await waitFor(() => server.requestsFor('Registry down').length === 1, { timeoutMs: 30_000, what: 'the run to call out' });
    await chain.stopService('process-registry', 'SIGKILL');
    server.release('Registry down');
    const waiting = await waitFor(
      async () => {
        const row = await operation(id, 'registry-outage');
        return row && Number(row['unavailable_attempts']) >= 2 ? row : undefined;
      },
      { timeoutMs: 60_000, what: 'the run to wait out the registry' },
    );
    expect(String(waiting['last_error'])).toMatch(/UNAVAILABLE|GRPC_14|ECONNREFUSED|No connection/i);
    expect(String(waiting['friendly_message'])).toMatch(/waiting for the registry/);
    expect(waiting['retry_count']).toBe(0);

    await chain.restartService('process-registry');
    await waitFor(async () => (await operation(id, 'registry-outage'))?.['status'] === Status.Succeeded, {
      timeoutMs: 90_000,
      what: 'the run to succeed after the registry came back',
    });
    expect((await operation(id, 'outage-child'))?.['status']).toBe(Status.Succeeded);
    const lead = (await chain.call('GET', `/api/v1/records/lead/${id}`))['record'] as Record<string, unknown>;
    expect(lead).toMatchObject({ firstname: 'child ran', companyname: 'after registry' });
  }, 300_000);
});

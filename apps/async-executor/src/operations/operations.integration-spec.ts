import { AsyncOperationState as State, AsyncOperationStatus as Status, parseEnvelope } from '@flowline/contracts';
import { signBody } from '@flowline/plugin-steps';
import { Webhook } from 'standardwebhooks';
import { ExecutorProto, ProtoFiles, RegistryProto, type PromiseClient } from '@flowline/rpc';
import { OpenApiConformance, testToken } from '@flowline/service-testing';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { ActivityServer } from '../../test/activity-server';
import { startChain, type Chain } from '../../test/chain';

/**
 * Operators steering operations in each state, backoff, the definition throttle and timers,
 * with the whole chain running. One run of a definition at a time (DEFINITION_CONCURRENCY=1)
 * keeps a second operation Ready while the first is held in a step.
 */
const RETRY_BASE_MS = 400;
const MAX_RETRIES = 4;
const THROTTLE_BASE_MS = 1500;

const definitions = (url: string) => [
  `schemaVersion: 1
name: Guarded call
uniqueName: guarded-call
category: workflow
primaryEntity: contact
triggers:
  - on: create
steps:
  - id: call
    type: customActivity
    handler: http
    inputs:
      url: '${url}/call/{{record.lastname}}'
  - id: mark
    type: updateRecord
    set:
      jobtitle: called
`,
  `schemaVersion: 1
name: Strict call
uniqueName: strict-call
category: workflow
primaryEntity: opportunity
triggers:
  - on: create
steps:
  - id: call
    type: customActivity
    handler: http
    inputs:
      url: '${url}/strict/{{record.name}}'
`,
  `schemaVersion: 1
name: Reminder
uniqueName: reminder
category: workflow
primaryEntity: lead
triggers:
  - on: create
steps:
  - id: two-seconds
    type: waitTimeout
    duration: PT2S
  - id: remind
    type: updateRecord
    set:
      companyname: reminded
`,
  `schemaVersion: 1
name: Note on demand
uniqueName: note-on-demand
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

describe('operators steer async operations; failures back off and throttle', () => {
  const server = new ActivityServer();
  let chain: Chain;
  let grpc: PromiseClient<ExecutorProto.AsyncOperationServiceClient>;
  // Every REST answer below is checked against the executor's own /openapi.json.
  let api: OpenApiConformance;

  beforeAll(async () => {
    await server.start();
    chain = await startChain(
      'operations',
      definitions(server.url).map((source) => ({ source, format: 'yaml' as const })),
      {
        WORKER_POLL_MS: '100',
        DEFINITION_CONCURRENCY: '1',
        RETRY_BASE_MS: String(RETRY_BASE_MS),
        MAX_RETRIES: String(MAX_RETRIES),
        THROTTLE_AFTER_FAILURES: '2',
        THROTTLE_BASE_MS: String(THROTTLE_BASE_MS),
      },
    );
    grpc = chain.executor.client(ProtoFiles.executor, 'flowline.executor.v1.AsyncOperationService', ['operator']);
    api = await OpenApiConformance.of(chain.executor.httpUrl);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
    await server.stop();
  });

  const operate = async (method: string, url: string, body?: unknown, roles: Array<'operator' | 'user'> = ['operator']) => {
    const response = await fetch(`${chain.executor.httpUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${testToken(roles, 'olga')}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = (await response.json()) as Record<string, unknown> & { error: { message: string; code: string } };
    api.check(method, url, response.status, response.headers.get('content-type'), answer);
    return { status: response.status, body: answer };
  };
  const row = async (regardingId: string) =>
    (await chain.sql.query(`SELECT * FROM "executor"."async_operation" WHERE regarding_id = $1`, [regardingId])).rows[0] as
      Record<string, unknown> | undefined;
  const until = async (regardingId: string, state: State, status: Status, what: string) =>
    waitFor(
      async () => {
        const found = await row(regardingId);
        return found && found['state'] === state && found['status'] === status ? found : undefined;
      },
      { timeoutMs: 20_000, what },
    );
  const created = async (entity: string, record: Record<string, unknown>) =>
    String((await chain.call('POST', `/api/v1/records/${entity}`, record))['id']);
  const contact = async (id: string) =>
    ((await chain.call('GET', `/api/v1/records/contact/${id}`))['record'] ?? {}) as Record<string, unknown>;

  it('pauses, postpones, resumes and cancels operations in each state they allow, and refuses the rest with the current state', async () => {
    server.answer('hold-a', 'hold');
    server.answer('hold-b', 'hold');
    server.answer('hold-c', 'hold');
    const a = await created('contact', { lastname: 'hold-a' });
    const opA = await until(a, State.Locked, Status.InProgress, 'A to be in progress');
    await waitFor(() => server.requestsFor('hold-a').length === 1, { what: 'A to call out' });

    // B waits Ready: its definition already runs one operation.
    const b = await created('contact', { lastname: 'hold-b' });
    // (That it never runs while A holds the slot is checked at the end: it never called out.)
    const opB = await until(b, State.Ready, Status.WaitingForResources, 'B to be queued');
    expect(server.requestsFor('hold-b')).toHaveLength(0);

    // Refusals name the current state and what is possible.
    const pauseReady = await operate('POST', `/api/v1/operations/${opB['id']}/pause`);
    expect(pauseReady.status).toBe(409);
    expect(pauseReady.body['error']['message']).toContain(
      'cannot pause an operation that is Ready (WaitingForResources); it can be: cancel, postpone',
    );
    expect((await operate('POST', `/api/v1/operations/${opB['id']}/resume`)).status).toBe(409);
    expect((await operate('POST', `/api/v1/operations/${opA['id']}/resume`)).body['error']['message']).toContain('Locked (InProgress)');
    const badPostpone = await operate('POST', `/api/v1/operations/${opB['id']}/postpone`, { until: 'tomorrow' });
    expect(badPostpone.status).toBe(400);
    expect(badPostpone.body['error']['message']).toContain('until');
    expect((await operate('POST', `/api/v1/operations/${opB['id']}/pause`, undefined, ['user'])).status).toBe(403);

    // Ready: postpone.
    const later = new Date(Date.now() + 3600_000).toISOString();
    const postponed = await operate('POST', `/api/v1/operations/${opB['id']}/postpone`, { until: later });
    expect(postponed.status).toBe(200);
    expect(postponed.body).toMatchObject({ stateName: 'Ready', statusName: 'WaitingForResources', postponeUntil: later });

    // Locked: pause takes effect at the next step boundary.
    const pausing = await operate('POST', `/api/v1/operations/${opA['id']}/pause`);
    expect(pausing.body).toMatchObject({ stateName: 'Locked', statusName: 'Pausing' });
    server.release('hold-a');
    await until(a, State.Suspended, Status.Waiting, 'A to pause');
    expect((await contact(a))['jobtitle'] ?? null).toBeNull();
    // Suspended: postpone, then resume; it goes on from where it stopped, calling out no second time.
    expect((await operate('POST', `/api/v1/operations/${opA['id']}/postpone`, { until: later })).body).toMatchObject({
      stateName: 'Suspended',
    });
    expect((await operate('POST', `/api/v1/operations/${opA['id']}/resume`)).body).toMatchObject({ stateName: 'Ready' });
    await until(a, State.Completed, Status.Succeeded, 'A to finish');
    expect((await contact(a))['jobtitle']).toBe('called');
    expect(server.requestsFor('hold-a')).toHaveLength(1);

    // Ready: cancel at once. B never ran.
    const canceledB = await operate('POST', `/api/v1/operations/${opB['id']}/cancel`);
    expect(canceledB.body).toMatchObject({ stateName: 'Completed', statusName: 'Canceled' });
    expect(server.requestsFor('hold-b')).toHaveLength(0);

    // Locked: cancel goes through Canceling and ends at the next step boundary.
    const c = await created('contact', { lastname: 'hold-c' });
    const opC = await until(c, State.Locked, Status.InProgress, 'C to be in progress');
    await waitFor(() => server.requestsFor('hold-c').length === 1, { what: 'C to call out' });
    expect((await operate('POST', `/api/v1/operations/${opC['id']}/cancel`)).body).toMatchObject({ statusName: 'Canceling' });
    server.release('hold-c');
    await until(c, State.Completed, Status.Canceled, 'C to be canceled');
    expect((await contact(c))['jobtitle'] ?? null).toBeNull();

    // Completed: nothing more, except retrying failures.
    expect((await operate('POST', `/api/v1/operations/${opA['id']}/cancel`)).body['error']['message']).toContain(
      'cannot cancel an operation that is Completed (Succeeded): it is finished',
    );
    expect((await operate('POST', `/api/v1/operations/${opA['id']}/retry`)).status).toBe(409);

    // The step log and the listing, over REST and gRPC.
    const detail = await operate('GET', `/api/v1/operations/${opA['id']}`);
    expect((detail.body['steps'] as Array<Record<string, unknown>>).map((step) => step['stepId'])).toEqual(
      expect.arrayContaining(['call', 'mark']),
    );
    const listed = await grpc.listOperations({
      page: { pageSize: 10, pageToken: '' },
      states: [State.Completed],
      statuses: [],
      name: 'guarded-call',
    } as never);
    expect(listed.operations.map((operation) => operation.regardingId)).toEqual(expect.arrayContaining([a, b, c]));
    expect(listed.operations.find((operation) => operation.regardingId === c)?.statusName).toBe('Canceled');
    const got = await grpc.getOperation({ id: String(opA['id']) });
    // The call step: one entry (it was held, paused around, and resumed), Succeeded, with when it began and ended.
    const callSteps = got.steps.filter((step) => step.stepId === 'call');
    expect(callSteps.map((step) => step.status)).toEqual([2]);
    expect(Date.parse(callSteps[0]!.startedOn)).toBeLessThanOrEqual(Date.parse(callSteps[0]!.loggedOn));
    await expect(grpc.pauseOperation({ id: String(opA['id']) })).rejects.toThrow(/cannot pause an operation that is Completed/);

    // Every state change went out on flowline.async-operations.v1 (through the outbox).
    const changes = await waitFor(
      async () => {
        const rows = (
          await chain.sql.query(
            `SELECT envelope::text AS envelope, envelope->'payload'->>'status' AS status, published_at FROM "executor"."outbox" WHERE message_key = $1 ORDER BY id`,
            [opA['id']],
          )
        ).rows as Array<{ envelope: string; status: string; published_at: Date | null }>;
        return rows.every((r) => r.published_at) ? rows : undefined;
      },
      { what: 'the changes of A to be published' },
    ).then((rows) => {
      // Each is a valid envelope (some are built by SQL beside the change they announce).
      for (const row of rows) {
        const parsed = parseEnvelope(row.envelope);
        expect(parsed).toMatchObject({
          ok: true,
          envelope: { type: 'async-operation.changed', source: 'async-executor', payload: { operationId: opA['id'] } },
        });
      }
      return rows.map((r) => Number(r.status));
    });
    expect(changes).toEqual(
      expect.arrayContaining([Status.InProgress, Status.Pausing, Status.Waiting, Status.WaitingForResources, Status.Succeeded]),
    );
  });

  it('retries a transient failure with exponential backoff, fails after the limit, and runs again when an operator retries it', async () => {
    server.answer('flaky-d', 503);
    const d = await created('contact', { lastname: 'flaky-d' });
    const failed = await until(d, State.Completed, Status.Failed, 'D to give up');
    expect(failed['error_code']).toBe('HTTP_503');
    expect(failed['friendly_message']).toContain(`gave up after ${MAX_RETRIES} attempts`);
    const times = server.requestsFor('flaky-d').map((request) => request.at);
    expect(times).toHaveLength(MAX_RETRIES);
    // Never earlier than the schedule: gaps of at least base, 2 × base, 4 × base, less the ±25 % jitter.
    // (How much later a busy machine gets to it is for the benches, not for this test.)
    for (let i = 1; i < times.length; i++) {
      const expected = RETRY_BASE_MS * 2 ** (i - 1);
      const gap = times[i]! - times[i - 1]!;
      expect(gap).toBeGreaterThanOrEqual(expected * 0.75 - 20);
    }
    // One idempotency key for every attempt of the step.
    expect(new Set(server.requestsFor('flaky-d').map((request) => request.idempotencyKey)).size).toBe(1);

    server.answer('flaky-d', 200);
    const retried = await operate('POST', `/api/v1/operations/${failed['id']}/retry`);
    expect(retried.body).toMatchObject({ stateName: 'Ready', retryCount: 0 });
    await until(d, State.Completed, Status.Succeeded, 'D to succeed after the retry');
    expect((await contact(d))['jobtitle']).toBe('called');
  });

  it("keeps every attempt in the step log: a step that failed twice with 503 before it succeeded shows each attempt's error", async () => {
    server.answerInTurn('flaky-attempts', [503, 503]);
    const id = await created('contact', { lastname: 'flaky-attempts' });
    const done = await until(id, State.Completed, Status.Succeeded, 'the flaky call to succeed on its third attempt');
    expect(done['retry_count']).toBe(2);
    expect(server.requestsFor('flaky-attempts')).toHaveLength(3);

    type Step = { attempt: number; stepId: string; status: number; message: string; startedOn: string; loggedOn: string };
    const rest = (await operate('GET', `/api/v1/operations/${String(done['id'])}`)).body as unknown as { steps: Step[] };
    const calls = rest.steps.filter((step) => step.stepId === 'call');
    // Each attempt's own entry of the step, in attempt order: two failures with their error, then the success.
    expect(calls.map((step) => step.attempt)).toEqual([1, 2, 3]);
    expect(calls.slice(0, 2).every((step) => step.status !== 2 && step.message.includes('503'))).toBe(true);
    expect(calls[2]).toMatchObject({ attempt: 3, status: 2 });
    // When each attempt's call ran stays on record: the attempts ran one after the other.
    expect(calls.every((step) => step.loggedOn !== '')).toBe(true);
    expect(Date.parse(calls[0]!.loggedOn)).toBeLessThanOrEqual(Date.parse(calls[1]!.loggedOn));
    expect(Date.parse(calls[1]!.loggedOn)).toBeLessThanOrEqual(Date.parse(calls[2]!.loggedOn));
    // The step after the call ran once, in the attempt that got through; steps come by attempt then start.
    expect(rest.steps.filter((step) => step.stepId === 'mark').map((step) => step.attempt)).toEqual([3]);
    const order = rest.steps.map((step) => step.attempt);
    expect(order).toEqual([...order].sort((a, b) => a - b));

    // gRPC answers the same history.
    const detail = await grpc.getOperation({ id: String(done['id']) });
    expect(detail.steps.filter((step) => step.stepId === 'call').map((step) => [step.attempt, step.status === 2])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
  });

  it('holds back a definition that keeps failing for growing intervals, and lets it run normally after a success', async () => {
    const opportunity = (name: string) => created('opportunity', { name });
    server.answer('t1', 400);
    server.answer('t2', 400);
    server.answer('t3', 400);
    const t1 = await opportunity('t1');
    await until(t1, State.Completed, Status.Failed, 't1 to fail');
    const t2 = await opportunity('t2');
    const failed2 = await until(t2, State.Completed, Status.Failed, 't2 to fail');
    const throttle = (
      await chain.sql.query(`SELECT * FROM "executor"."definition_throttle" WHERE definition_id = $1`, [failed2['definition_id']])
    ).rows[0] as { consecutive_failures: number; throttled_until: Date; updated_on: Date };
    expect(throttle.consecutive_failures).toBe(2);
    const hold = new Date(throttle.throttled_until).getTime() - new Date(failed2['completed_on'] as string).getTime();
    expect(hold).toBeGreaterThan(THROTTLE_BASE_MS - 200);
    expect(hold).toBeLessThan(THROTTLE_BASE_MS + 500);

    // The next operation waits Ready until the hold ends.
    const t3 = await opportunity('t3');
    await until(t3, State.Ready, Status.WaitingForResources, 't3 to be queued');
    // It runs only once the hold is over: its call comes after throttled_until, never before.
    const failed3 = await until(t3, State.Completed, Status.Failed, 't3 to run and fail');
    expect(server.requestsFor('t3')[0]!.at).toBeGreaterThanOrEqual(new Date(throttle.throttled_until).getTime() - 50);
    // A third failure in a row doubles the hold.
    const again = (
      await chain.sql.query(`SELECT * FROM "executor"."definition_throttle" WHERE definition_id = $1`, [failed3['definition_id']])
    ).rows[0] as { consecutive_failures: number; throttled_until: Date };
    expect(again.consecutive_failures).toBe(3);
    const doubled = new Date(again.throttled_until).getTime() - new Date(failed3['completed_on'] as string).getTime();
    expect(doubled).toBeGreaterThan(2 * THROTTLE_BASE_MS - 200);

    // A success clears the throttle.
    const t4 = await opportunity('t4');
    await until(t4, State.Completed, Status.Succeeded, 't4 to succeed once the hold ends');
    expect(server.requestsFor('t4')[0]!.at).toBeGreaterThanOrEqual(new Date(again.throttled_until).getTime() - 50);
    expect(
      (await chain.sql.query(`SELECT 1 FROM "executor"."definition_throttle" WHERE definition_id = $1`, [failed3['definition_id']]))
        .rowCount,
    ).toBe(0);
    const t5 = await opportunity('t5');
    await until(t5, State.Completed, Status.Succeeded, 't5 to run at once');
  });

  it('fires a wait timeout: the operation leaves memory, and the timer brings it back to finish', async () => {
    const lead = await created('lead', { lastname: 'Timer', subject: 'Timer test' });
    const waiting = await until(lead, State.Suspended, Status.Waiting, 'the reminder to wait');
    const due = new Date(waiting['postpone_until'] as string).getTime();
    expect(due - new Date(waiting['created_on'] as string).getTime()).toBeGreaterThan(1500);
    expect(due - new Date(waiting['created_on'] as string).getTime()).toBeLessThan(4000);
    await until(lead, State.Completed, Status.Succeeded, 'the reminder to fire');
    const record = (await chain.call('GET', `/api/v1/records/lead/${lead}`))['record'] as Record<string, unknown>;
    expect(record['companyname']).toBe('reminded');
    const finished = (await row(lead))!;
    expect(new Date(finished['completed_on'] as string).getTime()).toBeGreaterThanOrEqual(due);
  });

  it('runs asynchronous plug-in steps: the signed webhook gets the context and its images, transient failures retry, refusals fail', async () => {
    const versionOf = async (url: string) =>
      Number(/flowline_metadata_cache_version(?:\{[^}]*\})? (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
    const before = { executor: await versionOf(chain.executor.httpUrl), gateway: await versionOf(chain.gateway.httpUrl) };
    const steps = chain.registry.client<PromiseClient<RegistryProto.StepRegistrationServiceClient>>(
      ProtoFiles.registry,
      'flowline.registry.v1.StepRegistrationService',
      ['admin'],
    );
    const step = await steps.registerStep({
      step: {
        id: '',
        name: 'notify crm',
        message: 'Create',
        primaryEntity: 'account',
        stage: 40,
        mode: 1,
        rank: 1,
        filteringAttributes: [],
        images: [{ alias: 'after', type: RegistryProto.ImageType.IMAGE_TYPE_POST, attributes: ['name'] }],
        enabled: true,
        unsecureConfiguration: '{"channel":"crm"}',
        secureConfiguration: 'hook-secret',
        hasSecureConfiguration: false,
        registeredOn: '',
        registrationSequence: '',
        rowVersion: 0,
        handler: { webhook: { url: `${server.url}/hook/notify`, timeoutMs: 2000 } },
      },
    });
    await waitFor(
      async () => (await versionOf(chain.executor.httpUrl)) > before.executor && (await versionOf(chain.gateway.httpUrl)) > before.gateway,
      { timeoutMs: 20_000, what: 'the step to reach the gateway and executor caches' },
    );

    const ok = await created('account', { name: 'Hooked' });
    const done = await until(ok, State.Completed, Status.Succeeded, 'the step to run');
    expect(done['step_registration_id']).toBe(step.id);
    const request = server.requestsFor('notify').at(-1)!;
    expect(request.headers['x-flowline-signature']).toBe(signBody('hook-secret', request.body));
    // Standard Webhooks: the receiver's library verifies it; the id is the operation's, the same on every attempt.
    const standardHeaders = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
    expect(new Webhook('hook-secret', { format: 'raw' }).verify(request.body, standardHeaders)).toMatchObject({ stepName: 'notify crm' });
    expect(request.headers['webhook-id']).toBe(`msg_${String(done['id'])}`);
    expect(request.idempotencyKey).toBe(done['id']);
    expect(JSON.parse(request.body)).toMatchObject({
      stepName: 'notify crm',
      configuration: '{"channel":"crm"}',
      context: { messageName: 'Create', primaryEntityId: ok, stage: 40, mode: 1, postEntityImages: { after: { name: 'Hooked' } } },
    });

    server.answer('notify', 503);
    const flaky = await created('account', { name: 'Hooked later' });
    await waitFor(async () => Number((await row(flaky))?.['retry_count'] ?? 0) >= 1, { timeoutMs: 20_000, what: 'a retry' });
    server.answer('notify', 200);
    const recovered = await until(flaky, State.Completed, Status.Succeeded, 'the step to succeed on a retry');
    expect(recovered['retry_count']).toBeGreaterThanOrEqual(1);
    expect(recovered['error_code']).toBeNull();
    const retryLog = (
      await chain.sql.query(`SELECT status, message FROM "executor"."operation_step_log" WHERE operation_id = $1 ORDER BY id`, [
        recovered['id'],
      ])
    ).rows as Array<{ status: number; message: string | null }>;
    expect(retryLog[0]).toMatchObject({ status: 1, message: expect.stringContaining('answered 503') });
    expect(retryLog.at(-1)).toMatchObject({ status: 2 });
    expect(
      new Set(
        server
          .requestsFor('notify')
          .slice(-2)
          .map((r) => r.idempotencyKey),
      ),
    ).toEqual(new Set([recovered['id']]));

    server.answer('notify', 400);
    const refused = await created('account', { name: 'Hooked refused' });
    const failed = await until(refused, State.Completed, Status.Failed, 'the step to be refused');
    expect(failed['error_code']).toBe('STEP_REFUSED');
    expect(failed['friendly_message']).toContain('answered 400');
    server.answer('notify', 200);
  });

  it('exposes the metrics operators and autoscalers read, on each service', async () => {
    const metrics = async (url: string) => (await fetch(`${url}/metrics`)).text();
    /** The value of the series with this name and (at least) these labels, in Prometheus' text format. */
    const value = (text: string, series: string) => {
      const [, name, wanted = ''] = /^([a-z_:]+)(?:\{(.*))?$/.exec(series)!;
      const labels = [...wanted.matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => `${m[1]}="${m[2]}"`);
      const line = text.split('\n').find((l) => {
        const match = /^([a-z_:]+)(?:\{([^}]*)\})? /.exec(l);
        return match?.[1] === name && labels.every((label) => (match[2] ?? '').split(',').includes(label));
      });
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    // This test's own work, read as the change of each counter (no test relies on another's work).
    const before = { executor: await metrics(chain.executor.httpUrl), gateway: await metrics(chain.gateway.httpUrl) };
    const delta = (text: string, was: string, series: string) => (value(text, series) ?? 0) - (value(was, series) ?? 0);
    server.answer('metric-fail', 400);
    server.answer('metric-retry', 503);
    const ok = await created('contact', { lastname: 'metric-ok' });
    await until(ok, State.Completed, Status.Succeeded, 'the metric-ok run to succeed');
    const bad = await created('contact', { lastname: 'metric-fail' });
    await until(bad, State.Completed, Status.Failed, 'the metric-fail run to fail');
    const flaky = await created('contact', { lastname: 'metric-retry' });
    await until(flaky, State.Completed, Status.Failed, 'the metric-retry run to give up');
    const after = await waitFor(
      async () => {
        const text = await metrics(chain.executor.httpUrl);
        return delta(text, before.executor, 'flowline_executor_completions_total{outcome="failed"') >= 2 ? text : undefined;
      },
      { what: 'the completions to be counted' },
    );
    expect(delta(after, before.executor, 'flowline_executor_claims_total')).toBeGreaterThanOrEqual(3);
    expect(delta(after, before.executor, 'flowline_executor_completions_total{outcome="succeeded"')).toBeGreaterThanOrEqual(1);
    expect(delta(after, before.executor, 'flowline_executor_retries_total{code="HTTP_503"')).toBeGreaterThanOrEqual(1);
    expect(
      delta(after, before.executor, 'flowline_executor_step_duration_seconds_count{effect="executeMessage",outcome="ok"'),
    ).toBeGreaterThanOrEqual(1);
    const gateway = await metrics(chain.gateway.httpUrl);
    for (const stage of ['prevalidation', 'preoperation', 'mainoperation', 'postoperation']) {
      expect(
        delta(gateway, before.gateway, `flowline_gateway_pipeline_stage_duration_seconds_count{stage="${stage}"`),
      ).toBeGreaterThanOrEqual(3);
    }
    // Everything this test made was published and dispatched: the lags come back to 0.
    await waitFor(
      async () => {
        const text = await metrics(chain.executor.httpUrl);
        return (
          value(text, 'flowline_outbox_lag_seconds') === 0 &&
          value(text, 'flowline_consumer_lag{group="flowline.async-executor.dispatcher",topic="flowline.pipeline-events.v1"') === 0
        );
      },
      { timeoutMs: 20_000, what: 'the outbox and dispatcher lags to come back to 0' },
    );
    // A due Ready operation shows in the queue depth: hold the definition's only slot, queue one more.
    server.answer('hold-q1', 'hold');
    const q1 = await created('contact', { lastname: 'hold-q1' });
    await until(q1, State.Locked, Status.InProgress, 'q1 to run');
    const q2 = await created('contact', { lastname: 'queued-q2' });
    await until(q2, State.Ready, Status.WaitingForResources, 'q2 to queue');
    const queued = await waitFor(
      async () => {
        const text = await metrics(chain.executor.httpUrl);
        return (value(text, 'flowline_executor_ready_queue_depth') ?? 0) >= 1 ? text : undefined;
      },
      { what: 'the queue depth to show q2' },
    );
    expect(value(queued, 'flowline_executor_oldest_ready_age_seconds')).toBeGreaterThan(0);
    expect(value(queued, 'flowline_executor_in_progress')).toBeGreaterThanOrEqual(1);
    server.release('hold-q1');
    await until(q2, State.Completed, Status.Succeeded, 'q2 to finish');
    // Nothing due and nothing running any more: the gauges say so.
    await waitFor(
      async () => {
        const text = await metrics(chain.executor.httpUrl);
        return value(text, 'flowline_executor_ready_queue_depth') === 0 && value(text, 'flowline_executor_in_progress') === 0;
      },
      { what: 'the queue depth and in-progress gauges to come back to 0' },
    );
  });

  it('deletes completed operations past the cutoff with their step logs, and only those', async () => {
    // A completed operation of this test's own.
    const done = await created('contact', { lastname: 'to-be-deleted' });
    const finished = await until(done, State.Completed, Status.Succeeded, 'the operation to delete to complete');
    const before = Number((await chain.sql.query(`SELECT count(*) FROM "executor"."async_operation" WHERE state <> 3`)).rows[0].count);
    expect((await operate('DELETE', `/api/v1/operations?completedBefore=${new Date(Date.now() + 1000).toISOString()}`)).status).toBe(403);
    const response = await fetch(
      `${chain.executor.httpUrl}/api/v1/operations?completedBefore=${new Date(Date.now() + 1000).toISOString()}`,
      {
        method: 'DELETE',
        headers: { authorization: `Bearer ${testToken(['admin'], 'root')}` },
      },
    );
    const body = (await response.json()) as { deleted: number };
    api.check('DELETE', '/api/v1/operations', response.status, response.headers.get('content-type'), body);
    expect(body.deleted).toBeGreaterThanOrEqual(1);
    expect(await row(done)).toBeUndefined();
    expect(
      Number(
        (await chain.sql.query(`SELECT count(*) FROM "executor"."operation_step_log" WHERE operation_id = $1`, [finished['id']])).rows[0]
          .count,
      ),
    ).toBe(0);
    expect(Number((await chain.sql.query(`SELECT count(*) FROM "executor"."async_operation" WHERE state = 3`)).rows[0].count)).toBe(0);
    expect(Number((await chain.sql.query(`SELECT count(*) FROM "executor"."async_operation"`)).rows[0].count)).toBe(before);
    expect(
      Number(
        (
          await chain.sql.query(
            `SELECT count(*) FROM "executor"."operation_step_log" l WHERE NOT EXISTS (SELECT 1 FROM "executor"."async_operation" o WHERE o.id = l.operation_id)`,
          )
        ).rows[0].count,
      ),
    ).toBe(0);
  });

  it('answers as its OpenAPI document says: lists, refusals and on-demand starts; every documented operation was called', async () => {
    const document = await fetch(`${chain.executor.httpUrl}/openapi.json`);
    expect(document.status).toBe(200);
    expect(await document.json()).toMatchObject({ openapi: '3.1.0', info: { title: 'Flowline async executor' } });

    const id = await created('contact', { lastname: 'listed-over-rest' });
    await until(id, State.Completed, Status.Succeeded, 'the listed operation to complete');
    const listed = await operate('GET', `/api/v1/operations?recordId=${id}&state=3&status=30,31&pageSize=1`);
    expect(listed.body).toMatchObject({ operations: [{ regardingId: id, stateName: 'Completed' }], page: { totalCount: 1 } });
    const badFilter = await operate('GET', '/api/v1/operations?state=done');
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error).toMatchObject({
      code: 'FILTER_INVALID',
      violations: [{ field: 'state', description: 'expected a whole number' }],
    });
    const unknownState = await operate('GET', '/api/v1/operations?state=7');
    expect(unknownState.body.error).toMatchObject({ code: 'FILTER_INVALID', violations: [{ field: 'states' }] });

    const started = await operate('POST', '/api/v1/workflows/note-on-demand/start', { entity: 'contact', recordId: id }, ['user']);
    expect(started).toMatchObject({ status: 200, body: { name: 'note-on-demand', regardingId: id } });
    const wrongType = await operate('POST', '/api/v1/workflows/note-on-demand/start', { entity: 7, recordId: id }, ['user']);
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toMatchObject({ code: 'START_INVALID', violations: [{ field: 'entity' }] });
    const missing = await operate('POST', '/api/v1/workflows/note-on-demand/start', { entity: 'contact' }, ['user']);
    expect(missing.body.error).toMatchObject({ code: 'START_INVALID', violations: [{ field: 'recordId' }] });
    const badUntil = await operate('POST', `/api/v1/operations/${String(started.body['id'])}/postpone`, { until: 5 });
    expect(badUntil.body.error).toMatchObject({ code: 'POSTPONE_INVALID', violations: [{ field: 'until' }] });
    // Bulk actions, dead letters, health history and schedules are called by their own specs, which check their part.
    expect(
      api.uncovered().filter((operation) => !/ \/api\/v1\/(operations\/bulk|dead-letters|health|schedules)(\/|$)/.test(operation)),
    ).toEqual([]);
  });
});
